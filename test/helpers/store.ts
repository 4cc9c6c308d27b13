import pg from 'pg';
import { openDatabase, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { postgresUrl, type DatabaseKind } from './databases.js';

/**
 * The run this process belongs to: scripts/test.mjs names it, and drops the run's schemas when
 * every test file has finished.
 */
const RUN = process.env['GUESTPASS_TEST_RUN'] ?? `p${process.pid}`;

/** A schema name of its own for one test's PostgreSQL tables: `<prefix>_r<run>_<random>`. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_r${RUN}_${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Drops a test's schema, unless scripts/test.mjs will drop the whole run's at the end. Test
 * files run side by side, and Kysely's migrator introspects every schema of the database
 * (pg_get_serial_sequence by schema name): a schema dropped by another file in the middle of
 * that scan failed it with "schema … does not exist".
 */
export async function dropSchema(schema: string): Promise<void> {
  if (process.env['GUESTPASS_TEST_RUN']) return;
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

/** A migrated store for store-level tests: in-memory SQLite, or a fresh PostgreSQL schema. */
export async function openTestStore(database: DatabaseKind, prefix: string): Promise<{ store: Store; close(): Promise<void> }> {
  const schema = uniqueSchema(prefix);
  const store = await openDatabase(database === 'postgres' ? { url: postgresUrl()!, schema } : { url: 'sqlite::memory:' });
  await migrateToLatest(store);
  return {
    store,
    async close() {
      await store.close();
      if (database === 'postgres') await dropSchema(schema);
    },
  };
}
