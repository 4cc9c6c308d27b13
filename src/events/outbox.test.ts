import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../storage/database.js';
import { EventBus } from './bus.js';
import { Outbox, type OutboundEvent } from './outbox.js';

describeEachDatabase('outbox', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  const events = new EventBus();
  const outbox = new Outbox({ events, now: () => 1_000 });
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_outbox'));
  });
  after(() => close());

  const merged: OutboundEvent = { type: 'user.merged', time: 1, subject: 'acct', guest_id: 'guest', account_id: 'acct', method: 'login' };
  const culled: OutboundEvent = { type: 'user.culled', time: 2, users: 3, sessions: 4, by_client: { web: 3 } };

  it('should keep nothing of a transaction that rolled back', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await outbox.stage(trx, [merged]);
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    assert.deepEqual(await outbox.pending(store.db, 10), []);
  });

  it('should keep a committed event with its order key, and announce it on the bus only when told', async () => {
    const heard: string[] = [];
    let woken = 0;
    const off = events.onAny((event) => heard.push(event.type));
    const offWake = outbox.onCommitted(() => woken++);
    const staged = await store.db.transaction().execute((trx) => outbox.stage(trx, [merged, culled]));
    assert.deepEqual(heard, [], 'nothing is announced before the caller says the commit happened');
    staged.announce();
    staged.announce();
    off();
    offWake();
    assert.deepEqual(heard, ['user.merged', 'user.culled']);
    assert.equal(woken, 1);
    const pending = await outbox.pending(store.db, 10);
    assert.deepEqual(
      pending.map(({ event, orderKey }) => [event, orderKey]),
      [
        [merged, 'acct'],
        [culled, null],
      ],
    );
    await outbox.markDispatched(store.db, [pending[0]!.id]);
    assert.deepEqual(
      (await outbox.pending(store.db, 10)).map(({ event }) => event.type),
      ['user.culled'],
    );
    assert.equal(await outbox.purgeDispatched(store.db, 1_001, 100), 1);
  });
});
