import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../shared/metrics.js';

/** The webhooks feature's metrics, in the server's registry. */
export class WebhookMetrics {
  readonly attempts: Counter<'outcome'>;
  readonly messages: Counter<'status'>;
  readonly latency: Histogram;
  readonly endpointsDisabled: Counter;

  constructor(metrics: Metrics, depth: () => Promise<{ messages: number; outbox: number }>) {
    const registers = [metrics.registry];
    this.attempts = new Counter({
      name: 'guestpass_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded (2xx), http_error (any other status), timeout, connection_error, dns_error, address_refused (SSRF guard).',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.messages = new Counter({
      name: 'guestpass_webhook_messages_finished_total',
      help: 'Webhook messages that ended: delivered, or failed once their retry schedule was spent.',
      labelNames: ['status'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'guestpass_webhook_delivery_seconds',
      help: 'Duration of webhook delivery attempts, connecting included.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    });
    this.endpointsDisabled = new Counter({
      name: 'guestpass_webhook_endpoints_disabled_total',
      help: 'Webhook endpoints disabled by the server after failing for GUESTPASS_WEBHOOK_DISABLE_AFTER.',
      registers,
    });
    const queue = new Gauge({
      name: 'guestpass_webhook_queue_depth',
      help: 'Webhook work waiting: pending messages, and outbox events not yet fanned out to endpoints.',
      labelNames: ['queue'] as const,
      registers,
      collect: async () => {
        const { messages, outbox } = await depth();
        queue.set({ queue: 'messages' }, messages);
        queue.set({ queue: 'outbox' }, outbox);
      },
    });
  }
}
