import type { FeatureManifest } from '../config/feature-manifest.js';
import { anomalyError } from './error-codes.js';
import { anomalyOptions } from './options.js';

/** Anomaly detection and containment. */
export const anomalyManifest = {
  name: 'anomaly',
  options: anomalyOptions,
  errors: { anomaly: anomalyError.catalogue },
  tables: ['alerts', 'blocks'],
  migrations: ['0005_anomaly', '0017_console_data'],
  routes: ['/admin/api/alerts/*', '/admin/api/blocks/*'],
} satisfies FeatureManifest;
