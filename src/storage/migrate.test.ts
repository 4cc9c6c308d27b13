import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase, postgresUrl } from '../../test/helpers/databases.js';
import { dropSchema, uniqueSchema } from '../../test/helpers/store.js';
import { openDatabase, type Store } from './database.js';
import { migrateTo, migrateToLatest, migrationNames } from './migrate.js';

/**
 * 0016 (operators), 0017 (console data) and 0018 (devices) were written side by side and landed
 * together: a fresh database and one of the last release (0015) both take them in order.
 */
describeEachDatabase('migrations 0016, 0017 and 0018', (database) => {
  async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
    const schema = uniqueSchema('migrate');
    const store = await openDatabase(database === 'postgres' ? { url: postgresUrl()!, schema } : { url: 'sqlite::memory:' });
    try {
      await run(store);
    } finally {
      await store.close();
      if (database === 'postgres') await dropSchema(schema);
    }
  }

  /** The console's and the devices' tables answer a query (each exists with its columns). */
  async function assertTablesWork(store: Store): Promise<void> {
    await store.db.selectFrom('operators').select('user_id').execute();
    await store.db.selectFrom('console_sessions').select('id').execute();
    await store.db.selectFrom('lifecycle_hours').selectAll().execute();
    await store.db.selectFrom('alerts').select('note').execute();
    await store.db.selectFrom('device_authorizations').selectAll().execute();
  }

  it('should apply 0016, 0017 and 0018 in order on a fresh database', async () => {
    await withStore(async (store) => {
      const applied = await migrateToLatest(store);
      assert.deepEqual(applied, migrationNames);
      assert.deepEqual(
        applied.filter((name) => /^001[678]_/.test(name)),
        ['0016_operators', '0017_console_data', '0018_devices'],
      );
      await assertTablesWork(store);
      assert.deepEqual(await migrateToLatest(store), [], 'nothing left to apply');
    });
  });

  it('should take a database of the last release (0015) to the latest, 0016 to 0018 in order', async () => {
    await withStore(async (store) => {
      await migrateTo(store, '0015_telemetry_partitions');
      assert.deepEqual(await migrateToLatest(store), migrationNames.slice(migrationNames.indexOf('0015_telemetry_partitions') + 1));
      await assertTablesWork(store);
      assert.deepEqual(await migrateToLatest(store), []);
    });
  });
});
