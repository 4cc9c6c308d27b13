import type { FeatureManifest } from '../config/feature-manifest.js';
import { operatorError } from './error-codes.js';
import { operatorOptions } from './options.js';

/** Console operators: people who sign in to the admin API with a role, and the access check every admin route uses. */
export const operatorsManifest = {
  name: 'operators',
  options: operatorOptions,
  errors: { operators: operatorError.catalogue },
  tables: ['operators', 'console_sessions'],
  migrations: ['0016_operators'],
  routes: ['/admin/api/session/*'],
} satisfies FeatureManifest;
