import { type Kysely, Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet, type TableMetadata } from 'kysely';
import * as foundation from './migrations/0001_foundation.js';
import * as guestSessions from './migrations/0002_guest_sessions.js';
import * as accounts from './migrations/0003_accounts.js';
import * as telemetry from './migrations/0004_telemetry.js';
import * as anomaly from './migrations/0005_anomaly.js';
import * as keyActivation from './migrations/0006_key_activation.js';
import * as activeUsers from './migrations/0008_active_users.js';
import * as clientUserSettings from './migrations/0009_client_user_settings.js';
import * as erasure from './migrations/0010_erasure.js';
import * as guestCulling from './migrations/0011_guest_culling.js';
import * as outbox from './migrations/0012_outbox.js';
import * as webhooks from './migrations/0013_webhooks.js';
import * as auditLog from './migrations/0014_audit_log.js';
import * as telemetryPartitions from './migrations/0015_telemetry_partitions.js';
import * as operators from './migrations/0016_operators.js';
import * as consoleData from './migrations/0017_console_data.js';
import * as devices from './migrations/0018_devices.js';
import type { Store } from './database.js';
import type { Database } from './schema.js';

/**
 * Every migration, in order. They are imported statically (not read from a folder at run
 * time) so the compiled package and the test run see exactly the same list.
 */
const migrations: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_guest_sessions': guestSessions,
  '0003_accounts': accounts,
  '0004_telemetry': telemetry,
  '0005_anomaly': anomaly,
  '0006_key_activation': keyActivation,
  '0008_active_users': activeUsers,
  '0009_client_user_settings': clientUserSettings,
  '0010_erasure': erasure,
  // A new migration takes the next number: Kysely refuses a database whose applied migrations
  // are not a prefix of this list, which catches a migration renamed or inserted out of order.
  '0011_guest_culling': guestCulling,
  '0012_outbox': outbox,
  '0013_webhooks': webhooks,
  '0014_audit_log': auditLog,
  '0015_telemetry_partitions': telemetryPartitions,
  '0016_operators': operators,
  '0017_console_data': consoleData,
  '0018_devices': devices,
};

/** The migrations by name, in order (feature manifests name the ones that create or change their tables). */
export const migrationNames: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; safe to run from several nodes at once (Kysely locks). */
export function migrateToLatest(store: Store): Promise<string[]> {
  return migrate(store, (migrator) => migrator.migrateToLatest());
}

/** Applies the pending migrations up to `name` included: for tests that seed a table as an older schema made it. */
export function migrateTo(store: Store, name: string): Promise<string[]> {
  return migrate(store, (migrator) => migrator.migrateTo(name));
}

async function migrate(store: Store, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  const migrator = new Migrator({
    db: store.dialect === 'postgres' && store.schema ? introspectingOnly(store.db, store.schema) : store.db,
    provider,
    // Name the schema so a second Guestpass schema in the same database is not mistaken for ours.
    ...(store.dialect === 'postgres' ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results = [] } = await run(migrator);
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * The database as the migrator sees it on PostgreSQL: the same, except that its table listing
 * covers our schema only. Kysely's introspector lists every table of every schema and asks for
 * each one's serial sequences by name, so a table that another application (or another node's
 * test) renames or drops at that moment fails our start-up with "relation ... does not exist".
 * The migrator uses the listing only to see whether its own tables exist.
 */
function introspectingOnly(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection = {
    getSchemas: () => db.introspection.getSchemas(),
    getMetadata: () => db.introspection.getMetadata(),
    getTables: async (): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.map(({ name }) => ({ name, schema, isView: false, columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
