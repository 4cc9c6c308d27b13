import type { FeatureManifest } from '../config/feature-manifest.js';
import { oauthError } from './error-codes.js';

/** The OAuth 2.0 core; its settings (token lifetimes, rate limits, DPoP nonces) are server-wide options. */
export const oauthManifest = {
  name: 'oauth',
  options: {},
  errors: { oauth: oauthError.catalogue },
  tables: ['revocations'],
  migrations: ['0001_foundation'],
  routes: ['/.well-known/*', '/oauth/*'],
} satisfies FeatureManifest;
