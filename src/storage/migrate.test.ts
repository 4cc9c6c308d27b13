import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase, postgresUrl } from '../../test/helpers/databases.js';
import { dropSchema, uniqueSchema } from '../../test/helpers/store.js';
import { openDatabase, type Store } from './database.js';
import { migrateTo, migrateToLatest, migrationNames } from './migrate.js';
import * as devices from './migrations/0018_devices.js';

/**
 * 0016 (operators) and 0017 (console data) were written beside 0018 (devices) and landed after
 * it: a database migrated while 0018 was the latest must take the two late, and a fresh one
 * all three in order.
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

  it('should apply 0016 and 0017 to a database that already has 0018', async () => {
    await withStore(async (store) => {
      // A database as the server left it when 0018 was the latest migration.
      await migrateTo(store, '0015_telemetry_partitions');
      await devices.up(store.db as unknown as Parameters<typeof devices.up>[0]);
      await sql`insert into kysely_migration (name, timestamp) values (${'0018_devices'}, ${new Date().toISOString()})`.execute(store.db);

      assert.deepEqual(await migrateToLatest(store), ['0016_operators', '0017_console_data']);
      await assertTablesWork(store);
      assert.deepEqual(await migrateToLatest(store), []);
    });
  });
});
