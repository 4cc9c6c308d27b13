import type { FeatureManifest } from '../config/feature-manifest.js';
import { webhooksError } from './error-codes.js';
import { webhooksOptions } from './options.js';

/** Standard Webhooks deliveries of outbound events, from the transactional outbox. */
export const webhooksManifest = {
  name: 'webhooks',
  options: webhooksOptions,
  errors: { webhooks: webhooksError.catalogue },
  tables: ['webhook_endpoints', 'webhook_messages', 'webhook_attempts'],
  migrations: ['0013_webhooks'],
  routes: ['/admin/api/webhooks/*'],
} satisfies FeatureManifest;
