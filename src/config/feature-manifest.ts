import type { ErrorSpec } from '../shared/errors.js';
import type { OptionSpec } from './option.js';

/**
 * What a feature declares about itself, for the parts of the server that collect from every
 * feature: app/config.ts its options, app/error-catalogue.ts its error catalogues, the docs
 * generator all of it, and test/feature-manifests.test.ts checks that tables and routes have
 * exactly one owner. A feature's `manifest.ts` is side-effect free: it imports only its
 * options.ts, its error-codes.ts and types, so collecting manifests loads no feature.
 */
export interface FeatureManifest {
  /** The feature's folder under src/ (or `server` for what the base and app/ own). */
  name: string;
  /** Its options, declared in its options.ts with their defaults and docs. */
  options: Readonly<Record<string, OptionSpec<unknown>>>;
  /** Its error catalogues, by the section name docs/errors.md gives each. */
  errors: Readonly<Record<string, Readonly<Record<string, ErrorSpec>>>>;
  /** The tables it owns: it alone writes them (others read through its API). */
  tables: readonly string[];
  /** The migrations in storage/migrations/ that create or change its tables, by name. */
  migrations: readonly string[];
  /**
   * The URLs it serves, as Fastify names them: `/accounts/*` is /accounts and everything under
   * it; any other entry is that one URL (`/admin/api/users/:id`, `*` for CORS preflights).
   */
  routes: readonly string[];
}

/** Whether one entry of a manifest's `routes` covers a registered route's URL. */
export function routeCovers(entry: string, url: string): boolean {
  if (!entry.endsWith('/*')) return entry === url;
  const prefix = entry.slice(0, -2);
  return url === prefix || url.startsWith(`${prefix}/`);
}
