import type { ErrorSpec } from '../shared/errors.js';
import { manifests } from './features.js';

/** Every feature's error catalogues (from app/features.ts), for docs/errors.md and the test that keeps it complete. */
export const errorCatalogues: Record<string, Record<string, ErrorSpec>> = Object.assign({}, ...manifests.map((manifest) => manifest.errors));
