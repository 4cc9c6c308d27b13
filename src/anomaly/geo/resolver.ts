import type { GeoResolver } from '../types.js';

/** A resolver over files opened in the background (see readers.ts). */
export interface LoadableGeoResolver extends GeoResolver {
  /** Opens the files (once); lookups before this settles answer undefined. */
  ready(): Promise<void>;
  /** True once the files are open. */
  readonly loaded: boolean;
  /** How long opening took (ms), for the start-up log. */
  readonly openedInMs: number | undefined;
}
