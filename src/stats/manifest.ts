import type { FeatureManifest } from '../config/feature-manifest.js';
import { statsError } from './error-codes.js';
import { statsOptions } from './options.js';

/** Active users, guest lifecycle and alert counts per day and hour, and the console's overview. */
export const statsManifest = {
  name: 'stats',
  options: statsOptions,
  errors: { stats: statsError.catalogue },
  tables: ['active_user_sketches', 'lifecycle_days', 'lifecycle_hours', 'active_user_hours', 'stats_flushes'],
  migrations: ['0008_active_users', '0017_console_data'],
  routes: ['/admin/api/stats/*'],
} satisfies FeatureManifest;
