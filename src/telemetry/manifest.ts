import type { FeatureManifest } from '../config/feature-manifest.js';
import { telemetryError } from './error-codes.js';
import { telemetryOptions } from './options.js';

/** Telemetry ingestion, analytics and erasure. */
export const telemetryManifest = {
  name: 'telemetry',
  options: telemetryOptions,
  errors: { telemetry: telemetryError.catalogue },
  tables: ['events', 'event_rollups', 'event_user_days'],
  migrations: ['0004_telemetry', '0015_telemetry_partitions'],
  routes: ['/v1/events', '/admin/api/analytics/*', '/admin/api/users/:id/events'],
} satisfies FeatureManifest;
