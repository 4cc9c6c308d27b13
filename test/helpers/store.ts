import pg from 'pg';
import { openDatabase, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { postgresUrl, type DatabaseKind } from './databases.js';

/** A schema name of its own for one test's PostgreSQL tables. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

export async function dropSchema(schema: string): Promise<void> {
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
