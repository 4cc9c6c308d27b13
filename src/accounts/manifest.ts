import type { FeatureManifest } from '../config/feature-manifest.js';
import { accountError } from './error-codes.js';
import { erasureError } from './gdpr/error-codes.js';
import { idTokenError } from './id-token/error-codes.js';
import { accountOptions } from './options.js';

/** Registered users. 0003_accounts also adds this feature's columns to the sessions feature's `users`. */
export const accountsManifest = {
  name: 'accounts',
  options: accountOptions,
  errors: { accounts: accountError.catalogue, idToken: idTokenError.catalogue, erasure: erasureError.catalogue },
  tables: ['user_aliases', 'email_tokens', 'user_identities'],
  migrations: ['0003_accounts'],
  routes: ['/accounts/*', '/anonymous/convert', '/admin/api/users/:id', '/admin/api/users/:id/export'],
} satisfies FeatureManifest;
