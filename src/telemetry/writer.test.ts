import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../storage/database.js';
import { RollupState } from './rollup.js';
import { EventsAlreadyStored, TelemetryStore, type EventRow } from './store.js';
import { GroupCommitWriter, type PendingEvent } from './writer.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

function pending(overrides: Partial<EventRow> = {}, metrics: Record<string, number> = {}): PendingEvent {
  return {
    row: {
      client_id: 'client-a',
      event_id: randomUUID(),
      name: 'page.view',
      ts: T0 + 5_000,
      received_at: T0 + 6_000,
      user_id: 'user-1',
      session_id: 'session-1',
      is_anonymous: 1,
      app_version: '1.0.0',
      deployment: 'prod',
      platform: '',
      locale: '',
      origin: 'shop.example',
      country: 'GB',
      props: '{}',
      metrics: JSON.stringify(metrics),
      error_type: null,
      error_message: null,
      redactions: 0,
      quarantined: 0,
      ...overrides,
    },
    metrics,
  };
}

describeEachDatabase('GroupCommitWriter', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  let telemetry: TelemetryStore;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_writer'));
    telemetry = new TelemetryStore(store.db, store.dialect);
  });
  after(() => close());

  it('should commit concurrent batches in fewer transactions and answer each with its new ids', async () => {
    const commits: number[] = [];
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 5, onCommit: (_events, requests) => commits.push(requests) });
    const batches = Array.from({ length: 20 }, (_, i) => Array.from({ length: 5 }, () => pending({ session_id: `session-${i}` }, { duration_ms: i + 1 })));
    const results = await Promise.all(batches.map((batch) => writer.write(batch)));
    for (const [i, inserted] of results.entries()) assert.deepEqual([...inserted].sort(), batches[i]!.map((event) => event.row.event_id).sort());
    assert.ok(commits.length < 20, `grouped into ${commits.length} transactions`);
    assert.equal(
      commits.reduce((sum, requests) => sum + requests, 0),
      20,
    );

    // The rollup of that minute counts every event once, with the sessions and the metric:
    // one appended row per commit, one row once compacted.
    const rowsOf = () => store.db.selectFrom('event_rollups').selectAll().where('client_id', '=', 'client-a').execute();
    assert.equal((await rowsOf()).length, commits.length);
    await telemetry.compactRollups(Date.now());
    const rollups = await rowsOf();
    assert.equal(rollups.length, 1);
    assert.equal(rollups[0]!.compacted, 1);
    const state = RollupState.fromColumns(rollups[0]!);
    assert.equal(state.events, 100);
    assert.equal(state.sessions.estimate(), 20);
    assert.equal(state.users.estimate(), 1);
    assert.equal(state.metrics.get('duration_ms')?.count, 100);
    await writer.close();
  });

  it('should not count a stored event again, nor update the rollup for it', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 1 });
    const first = pending({ client_id: 'client-b' });
    assert.equal((await writer.write([first])).size, 1);
    assert.equal((await writer.write([first, pending({ client_id: 'client-b' })])).size, 1);
    const rollups = await store.db.selectFrom('event_rollups').select('events').where('client_id', '=', 'client-b').execute();
    assert.deepEqual(
      rollups.map((row) => Number(row.events)),
      [1, 1],
    );
    const day = await store.db.selectFrom('event_user_days').selectAll().where('client_id', '=', 'client-b').executeTakeFirstOrThrow();
    assert.deepEqual([Number(day.events), Number(day.guest_events), Number(day.first_ts)], [2, 2, T0 + 5_000]);
    await writer.close();
  });

  it('should credit an id sent by two requests of one group to the first, and a duplicate to the second', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 20 });
    const shared = pending({ client_id: 'client-f' });
    const otherClient = { ...shared, row: { ...shared.row, client_id: 'client-g' } };
    const [first, second, third] = await Promise.all([
      writer.write([shared]),
      writer.write([{ ...shared }, pending({ client_id: 'client-f' })]),
      writer.write([otherClient]),
    ]);
    assert.deepEqual([...first], [shared.row.event_id]);
    assert.equal(second.size, 1);
    assert.ok(!second.has(shared.row.event_id));
    assert.deepEqual([...third], [shared.row.event_id], 'the same id under another client is another event');
    await writer.close();
  });

  it('should fail only the batch the database refuses when a group is committed together', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 20 });
    // A name longer than its column: PostgreSQL refuses varchar(64) overflow; SQLite a NULL in a NOT NULL column.
    const poison = pending({ client_id: 'client-c', ...(database === 'postgres' ? { name: 'x'.repeat(65) } : { user_id: null as unknown as string }) });
    const good = [pending({ client_id: 'client-c' }), pending({ client_id: 'client-c' })];
    const [bad, ...fine] = await Promise.allSettled([writer.write([poison]), writer.write([good[0]!]), writer.write([good[1]!])]);
    assert.equal(bad!.status, 'rejected');
    for (const result of fine) assert.equal(result.status, 'fulfilled');
    const stored = await store.db.selectFrom('events').select('event_id').where('client_id', '=', 'client-c').execute();
    assert.deepEqual(stored.map((row) => row.event_id).sort(), good.map((event) => event.row.event_id).sort());
    await writer.close();
  });

  it('should store every column as sent, whatever characters and nulls it holds, in batches of any size', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 1 });
    // PostgreSQL binds each column as one array: quotes, backslashes, braces, commas, the text
    // NULL and an empty string must come back as they went, and a null as a null.
    const awkward = pending(
      {
        client_id: 'client-h',
        name: 'a "quoted", {braced} \\ name',
        session_id: null,
        locale: '',
        app_version: 'NULL',
        props: JSON.stringify({ text: 'line\nbreak, "q" {x} \\ ü 😀' }),
        error_type: 'TypeError',
        error_message: "it's\tbroken\r\n",
        redactions: 2,
        quarantined: 1,
      },
      { duration_ms: 12.5 },
    );
    const many = Array.from({ length: 250 }, (_, i) => pending({ client_id: 'client-h', ts: T0 + i }));
    const inserted = await writer.write([awkward, ...many]);
    assert.equal(inserted.size, 251);
    const stored = await store.db.selectFrom('events').selectAll().where('event_id', '=', awkward.row.event_id).executeTakeFirstOrThrow();
    const { row } = awkward;
    assert.deepEqual(
      { ...stored, ts: Number(stored.ts), received_at: Number(stored.received_at) },
      { ...row, ts: Number(row.ts), received_at: Number(row.received_at) },
    );
    const count = await store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('client_id', '=', 'client-h')
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 251);
    // Sent again, every one is a duplicate.
    assert.equal((await writer.write([awkward, ...many.slice(0, 120)])).size, 0);
    await writer.close();
  });

  it("should store text that needs no escape but JSON's as sent, emoji and quotes included", async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 1 });
    // No control character anywhere: every column takes pg-array.ts's JSON path.
    const plain = pending({
      client_id: 'client-j',
      name: 'say "hi" \\ {to} 😀, ü',
      app_version: 'null',
      props: JSON.stringify({ path: 'C:\\new', q: '"x"' }),
      error_type: null,
      error_message: '',
    });
    assert.equal((await writer.write([plain])).size, 1);
    const stored = await store.db.selectFrom('events').selectAll().where('event_id', '=', plain.row.event_id).executeTakeFirstOrThrow();
    assert.deepEqual(
      { ...stored, ts: Number(stored.ts), received_at: Number(stored.received_at) },
      { ...plain.row, ts: Number(plain.row.ts), received_at: Number(plain.row.received_at) },
    );
    await writer.close();
  });

  it('should count each event once when groups commit at once and share ids', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 0, concurrency: 2 });
    const events = Array.from({ length: 40 }, () => pending({ client_id: 'client-k' }));
    // Each batch shares half its ids with the next, and batches land in overlapping groups.
    const batches = Array.from({ length: 6 }, (_, i) => events.slice(i * 5, i * 5 + 10));
    const results: Set<string>[] = [];
    for (const batch of batches) {
      results.push(...(await Promise.all([writer.write(batch), writer.write([...batch].reverse())])));
    }
    await writer.close();
    const credited = results.flatMap((inserted) => [...inserted]);
    const sent = new Set(batches.flat().map((event) => event.row.event_id));
    assert.equal(credited.length, sent.size, 'each id is new to exactly one request');
    assert.deepEqual(new Set(credited), sent);
    const rollups = await store.db.selectFrom('event_rollups').select('events').where('client_id', '=', 'client-k').execute();
    assert.equal(
      rollups.reduce((sum, row) => sum + Number(row.events), 0),
      sent.size,
    );
    const day = await store.db.selectFrom('event_user_days').select('events').where('client_id', '=', 'client-k').executeTakeFirstOrThrow();
    assert.equal(Number(day.events), sent.size);
  });

  // PostgreSQL only: SQLite never writes a group assuming its events new (writer.ts says why).
  if (database === 'postgres')
    it('should store nothing of a group written as new when one of its events is already stored', async () => {
      const stored = pending({ client_id: 'client-l' });
      const fresh = pending({ client_id: 'client-l', user_id: 'user-l' });
      const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 1 });
      await writer.write([stored]);
      await writer.close();
      const input = (event: PendingEvent) => ({ ...event.row, session_id: event.row.session_id ?? null, has_error: false, metrics: event.metrics });
      await assert.rejects(telemetry.insertNewGroup([fresh.row, stored.row], [input(fresh), input(stored)], Date.now()), EventsAlreadyStored);
      const events = await store.db.selectFrom('events').select('event_id').where('client_id', '=', 'client-l').execute();
      assert.deepEqual(
        events.map((row) => row.event_id),
        [stored.row.event_id],
      );
      const rollups = await store.db.selectFrom('event_rollups').select('events').where('client_id', '=', 'client-l').execute();
      assert.deepEqual(
        rollups.map((row) => Number(row.events)),
        [1],
      );
      const days = await store.db.selectFrom('event_user_days').select('user_id').where('client_id', '=', 'client-l').execute();
      assert.deepEqual(
        days.map((row) => row.user_id),
        ['user-1'],
      );
    });

  it('should commit what is queued on close and refuse writes after it', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 10_000 });
    const queued = writer.write([pending({ client_id: 'client-d' })]);
    await writer.close();
    assert.equal((await queued).size, 1);
    await assert.rejects(writer.write([pending()]), /closed/);
  });

  it('should purge events, rollups and user days older than the cutoff', async () => {
    const writer = new GroupCommitWriter({ store: telemetry, intervalMs: 1 });
    await writer.write([pending({ client_id: 'client-e', ts: T0 - 3 * 86_400_000 }), pending({ client_id: 'client-e', ts: T0 })]);
    await writer.close();
    const deleted = await telemetry.purgeBefore(T0 - 86_400_000, { batchSize: 1 });
    assert.ok(deleted >= 1);
    const left = await store.db.selectFrom('events').select('ts').where('client_id', '=', 'client-e').execute();
    assert.deepEqual(
      left.map((row) => Number(row.ts)),
      [T0],
    );
    const rollups = await store.db.selectFrom('event_rollups').select('bucket').where('client_id', '=', 'client-e').execute();
    assert.deepEqual(
      rollups.map((row) => Number(row.bucket)),
      [T0],
    );
    const days = await store.db.selectFrom('event_user_days').select('day').where('client_id', '=', 'client-e').execute();
    assert.equal(days.length, 1);
  });
});
