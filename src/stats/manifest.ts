import type { FeatureManifest } from '../config/feature-manifest.js';
import { statsError } from './error-codes.js';
import { statsOptions } from './options.js';

/** Active users and guest lifecycle counts per day. */
export const statsManifest = {
  name: 'stats',
  options: statsOptions,
  errors: { stats: statsError.catalogue },
  tables: ['active_user_sketches', 'lifecycle_days', 'stats_flushes'],
  migrations: ['0008_active_users'],
  routes: ['/admin/api/stats/*'],
} satisfies FeatureManifest;
