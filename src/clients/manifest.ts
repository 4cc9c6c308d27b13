import type { FeatureManifest } from '../config/feature-manifest.js';
import { clientError } from './error-codes.js';

/** Registered applications. `*` is the CORS preflight (OPTIONS) every URL answers. */
export const clientsManifest = {
  name: 'clients',
  options: {},
  errors: { clients: clientError.catalogue },
  tables: ['clients', 'client_secrets'],
  migrations: ['0001_foundation', '0002_guest_sessions', '0009_client_user_settings'],
  routes: ['/admin/api/clients/*', '*'],
} satisfies FeatureManifest;
