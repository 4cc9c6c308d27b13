import type { FeatureManifest } from '../config/feature-manifest.js';
import { sessionError } from './error-codes.js';
import { sessionOptions } from './options.js';

/** Guest sessions; `users` is theirs as a row, with the account columns owned by accounts. */
export const sessionsManifest = {
  name: 'sessions',
  options: sessionOptions,
  errors: { sessions: sessionError.catalogue },
  tables: ['sessions', 'users', 'erased_users', 'transfer_codes'],
  migrations: ['0002_guest_sessions', '0010_erasure', '0011_guest_culling', '0018_devices'],
  routes: [
    '/anonymous/token',
    '/anonymous/session/*',
    '/anonymous/logout',
    '/anonymous/transfer',
    '/admin/api/sessions/*',
    '/admin/api/users/:id/sessions',
    '/admin/api/users',
    '/admin/api/guests/cull',
  ],
} satisfies FeatureManifest;
