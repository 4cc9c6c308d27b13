import type { FeatureManifest } from '../config/feature-manifest.js';
import { consoleUiError } from './error-codes.js';
import { consoleUiOptions } from './options.js';

/**
 * The operators' console (console/, built by Vite into dist/console/) served at /admin. Its
 * pages are `/admin/:page`, not `/admin/*`, so that an unknown /admin/api/… URL stays the admin
 * API's JSON 404 and every admin API route keeps exactly one owner.
 */
export const consoleUiManifest = {
  name: 'console-ui',
  options: consoleUiOptions,
  errors: { 'console-ui': consoleUiError.catalogue },
  tables: [],
  migrations: [],
  routes: ['/admin', '/admin/', '/admin/:page', '/admin/assets/*'],
} satisfies FeatureManifest;
