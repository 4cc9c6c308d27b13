import type { FastifyInstance } from 'fastify';
import type { Outbox } from '../events/outbox.js';
import type { AdminAccess } from '../operators/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import { AddressGuard } from './address-guard.js';
import { webhookAdminRoutes } from './admin-routes.js';
import { WebhookDispatcher } from './dispatcher.js';
import { EndpointStore } from './endpoint-store.js';
import { MessageStore } from './message-store.js';
import { WebhookMetrics } from './metrics.js';
import type { WebhooksConfig } from './options.js';
import { type Resolve, WebhookSender } from './sender.js';
import { WebhookService } from './service.js';

export interface WebhooksDeps {
  database: Store;
  /** Where outbound events wait, written by the features that cause them. */
  outbox: Outbox;
  metrics: Metrics;
  now: () => number;
  config: WebhooksConfig;
  /** Seals the endpoints' signing secrets at rest. */
  masterKey: Buffer;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
  /** Name resolution for deliveries (tests name a private answer). @default dns.lookup */
  resolve?: Resolve;
}

export interface WebhooksFeature {
  /** Endpoints, secrets, messages: the admin API and the CLI. */
  service: WebhookService;
  /** Mounts the admin API and starts delivering; delivery stops when the app closes. */
  routes(app: FastifyInstance): Promise<void>;
  /** Retention: dispatched outbox rows after a day, ended messages after GUESTPASS_WEBHOOK_RETENTION. */
  purgeExpired(): Promise<{ outbox: number; messages: number }>;
}

const OUTBOX_RETENTION_MS = 86_400_000;
const PURGE_BATCH = 500;

/**
 * Webhooks in the Standard Webhooks format from the transactional outbox. The worker runs only
 * in a server (routes): a CLI command that builds the context manages endpoints without sending.
 */
export function createWebhooks(deps: WebhooksDeps): WebhooksFeature {
  const { database, outbox, metrics, now, config, masterKey, admin } = deps;
  const guard = new AddressGuard({ allowPrivate: config.webhookAllowPrivate, allowedCidrs: config.webhookAllowedCidrs });
  const endpoints = new EndpointStore(database.db);
  const messages = new MessageStore({ db: database.db, dialect: database.dialect, outbox, now });
  const service = new WebhookService({ endpoints, messages, masterKey, guard, allowHttpLoopback: config.webhookAllowHttpLoopback, now });

  const purge = async (run: () => Promise<number>) => {
    let total = 0;
    for (;;) {
      const purged = await run();
      total += purged;
      if (purged < PURGE_BATCH) return total;
    }
  };

  return {
    service,
    async routes(app) {
      const sender = new WebhookSender({ guard, timeoutMs: config.webhookTimeout * 1000, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
      const dispatcher = new WebhookDispatcher({
        outbox,
        messages,
        endpoints,
        sender,
        secretsOf: (row) => service.secretsOf(row),
        metrics: new WebhookMetrics(metrics, () => messages.depth()),
        log: app.log,
        now,
        schedule: config.webhookRetrySchedule,
        timeoutMs: config.webhookTimeout * 1000,
        claimMarginMs: config.webhookClaimMargin * 1000,
        pollIntervalMs: config.webhookPollInterval * 1000,
        concurrency: config.webhookConcurrency,
        disableAfterMs: config.webhookDisableAfter * 1000,
      });
      service.onQueued = () => dispatcher.kick();
      await webhookAdminRoutes(app, { webhooks: service, admin });
      app.addHook('onReady', async () => dispatcher.start());
      app.addHook('onClose', async () => {
        await dispatcher.stop();
        sender.close();
      });
    },
    async purgeExpired() {
      const at = now();
      return {
        outbox: await purge(() => outbox.purgeDispatched(database.db, at - OUTBOX_RETENTION_MS, PURGE_BATCH)),
        messages: await purge(() => messages.purgeFinished(at - config.webhookRetention * 1000, PURGE_BATCH)),
      };
    },
  };
}
