import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { EventBus } from '../events/bus.js';
import { StatsRecorder } from './recorder.js';
import { StatsStore } from './store.js';

const DAY = Date.UTC(2026, 4, 10);

describeEachDatabase('stats recorder', (database) => {
  let handle: Awaited<ReturnType<typeof openTestStore>>;
  let store: StatsStore;
  let events: EventBus;
  let recorder: StatsRecorder;
  const errors: unknown[] = [];
  const created = (n: number, kind: 'guest' | 'unsaid' = 'guest') =>
    events.emit('session.created', {
      time: DAY + n,
      client_id: 'web',
      subject: `user-${n}`,
      session_id: `session-${n}`,
      ...(kind === 'guest' ? { is_anonymous: true, new_user: true } : {}),
    });
  const counts = async () => (await store.lifecycleDays(DAY, DAY, 'web'))[0]?.guests_created ?? 0;
  const guests = async () => (await store.sketches(DAY, DAY, 'web', [true]))[0]?.sketch.estimate() ?? 0;

  before(async () => {
    handle = await openTestStore(database, 'gp_stats_rec');
    store = new StatsStore(handle.store.db, handle.store.dialect);
    events = new EventBus();
    recorder = new StatsRecorder({ store, events, now: () => DAY + 3_600_000, flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
  });
  after(() => handle.close());

  it('should keep a flush that failed and write it once, before what came after it', async () => {
    for (let n = 0; n < 10; n++) created(n);
    // A real failure: the table the counters go to is not there for a moment.
    await sql`alter table lifecycle_days rename to lifecycle_days_away`.execute(handle.store.db);
    await assert.rejects(recorder.flush());
    for (let n = 10; n < 15; n++) created(n);
    await sql`alter table lifecycle_days_away rename to lifecycle_days`.execute(handle.store.db);
    await recorder.flush();
    assert.equal(await counts(), 15);
    assert.equal(await guests(), 15);
    await recorder.flush();
    assert.equal(await counts(), 15);
  });

  it('should not count a session event that does not say whether its user is a guest (a replay of an old recording)', async () => {
    created(100, 'unsaid');
    await recorder.flush();
    assert.equal(await guests(), 15);
  });

  it('should write what is left on close, and stop listening', async () => {
    created(200);
    await recorder.close();
    assert.equal(await counts(), 16);
    created(201);
    assert.equal(await counts(), 16);
    assert.deepEqual(errors, []);
  });
});
