import { httpError } from '../shared/error-codes.js';
import type { FeatureManifest } from './feature-manifest.js';
import { coreOptions } from './options.js';

/**
 * What is not any feature's: the server-wide options, the HTTP-level errors (shared/), the
 * signing and sealing keys (crypto/), the outbox of outbound events (events/outbox.ts), the migrator's own bookkeeping tables (storage/) and the
 * operations endpoints app/ serves (ops-routes.ts).
 */
export const serverManifest = {
  name: 'server',
  options: coreOptions,
  errors: { http: httpError.catalogue },
  tables: ['keys', 'kysely_migration', 'kysely_migration_lock', 'outbox_events'],
  migrations: ['0001_foundation', '0006_key_activation', '0012_outbox'],
  routes: ['/healthz', '/readyz', '/metrics', '/docs'],
} satisfies FeatureManifest;
