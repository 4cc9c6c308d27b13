import type { FeatureManifest } from '../config/feature-manifest.js';
import { auditError } from './error-codes.js';
import { auditOptions } from './options.js';

/** The domain-event log: every event the bus emits, readable by admins and exportable for replay. */
export const auditManifest = {
  name: 'audit',
  options: auditOptions,
  errors: { audit: auditError.catalogue },
  tables: ['audit_log'],
  migrations: ['0014_audit_log'],
  routes: ['/admin/api/audit'],
} satisfies FeatureManifest;
