import { Migrator, type Migration, type MigrationProvider } from 'kysely';
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
import type { Store } from './database.js';

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
  // A new migration always takes the next number: Kysely refuses one that sorts before a migration already applied.
  '0011_guest_culling': guestCulling,
};

/** The migrations by name, in order (feature manifests name the ones that create or change their tables). */
export const migrationNames: readonly string[] = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; safe to run from several nodes at once (Kysely locks). */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider,
    // Name the schema so a second Guestpass schema in the same database is not mistaken for ours.
    ...(store.dialect === 'postgres' ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
