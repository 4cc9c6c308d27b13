import type { FeatureManifest } from '../config/feature-manifest.js';
import { sessionError } from './error-codes.js';

/** Guest sessions; `users` is theirs as a row, with the account columns owned by accounts. */
export const sessionsManifest = {
  name: 'sessions',
  options: {},
  errors: { sessions: sessionError.catalogue },
  tables: ['sessions', 'users', 'erased_users'],
  migrations: ['0002_guest_sessions', '0010_erasure'],
  routes: ['/anonymous/token', '/anonymous/session/*', '/anonymous/logout', '/admin/api/sessions/*', '/admin/api/users/:id/sessions'],
} satisfies FeatureManifest;
