import type { FeatureManifest } from '../config/feature-manifest.js';
import { redisOptions } from './options.js';

/** The Redis connection of a scale-out deployment: what the nodes share besides the database. */
export const redisManifest = {
  name: 'redis',
  options: redisOptions,
  errors: {},
  tables: [],
  migrations: [],
  routes: [],
} satisfies FeatureManifest;
