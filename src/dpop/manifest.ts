import type { FeatureManifest } from '../config/feature-manifest.js';
import { dpopError } from './error-codes.js';

/** DPoP proofs (RFC 9449): checked at oauth's and sessions' endpoints, with errors of their own. */
export const dpopManifest = {
  name: 'dpop',
  options: {},
  errors: { dpop: dpopError.catalogue },
  tables: [],
  migrations: [],
  routes: [],
} satisfies FeatureManifest;
