import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { PreparedQuery } from './prepared-query.js';
import type { Store } from './database.js';

describeEachDatabase('PreparedQuery', (database) => {
  let store: Store;
  let close: () => Promise<void>;

  before(async () => {
    ({ store, close } = await openTestStore(database, 'prepared'));
    await store.db
      .insertInto('erased_users')
      .values([
        { user_hash: 'a', erased_at: 1, expires_at: 10 },
        { user_hash: 'b', erased_at: 2, expires_at: 20 },
      ])
      .execute();
  });
  after(() => close());

  it('should run the statement built once with each call’s own values', async () => {
    const byHash = new PreparedQuery(store.db, (db, slot) =>
      db.selectFrom('erased_users').select(['user_hash', 'expires_at']).where('user_hash', '=', slot<string>(0)).where('expires_at', '>', slot<number>(1)),
    );
    assert.deepEqual(await byHash.first(['a', 5]), { user_hash: 'a', expires_at: 10 });
    assert.deepEqual(await byHash.first(['b', 5]), { user_hash: 'b', expires_at: 20 });
    assert.equal(await byHash.first(['b', 25]), undefined);
    assert.equal(await byHash.first(['c', 0]), undefined);
  });

  it('should write through a transaction, and report the rows it changed', async () => {
    const extend = new PreparedQuery(store.db, (db, slot) =>
      db
        .updateTable('erased_users')
        .set({ expires_at: slot<number>(0) })
        .where('user_hash', '=', slot<string>(1)),
    );
    const changed = await store.db.transaction().execute(async (trx) => (await extend.execute([30, 'a'], trx)).numAffectedRows);
    assert.equal(changed, 1n);
    assert.equal((await extend.execute([40, 'nobody'])).numAffectedRows, 0n);
    const row = await store.db.selectFrom('erased_users').select('expires_at').where('user_hash', '=', 'a').executeTakeFirstOrThrow();
    assert.equal(Number(row.expires_at), 30);
  });

  it('should refuse a statement that leaves one of its values out', async () => {
    // Slot 1 is never used: every run would silently ignore its value.
    const lopsided = new PreparedQuery(store.db, (db, slot) => db.selectFrom('erased_users').select('user_hash').where('user_hash', '=', slot<string>(0)));
    await assert.rejects(() => lopsided.first(['a', 'b']), /must pass each of its 2 values as a parameter/);
  });
});
