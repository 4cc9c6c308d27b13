import type { FeatureManifest } from '../config/feature-manifest.js';
import { sessionError } from './error-codes.js';
import { sessionOptions } from './options.js';

/** Guest sessions; `users` is theirs as a row, with the account columns owned by accounts. */
export const sessionsManifest = {
  name: 'sessions',
  options: sessionOptions,
  errors: { sessions: sessionError.catalogue },
  tables: ['sessions', 'users', 'erased_users'],
  migrations: ['0002_guest_sessions', '0010_erasure', '0011_guest_culling'],
  routes: [
    '/anonymous/token',
    '/anonymous/session/*',
    '/anonymous/logout',
    '/admin/api/sessions/*',
    '/admin/api/users/:id/sessions',
    '/admin/api/users',
    '/admin/api/guests/cull',
  ],
} satisfies FeatureManifest;
