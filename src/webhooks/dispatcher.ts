import type { Outbox } from '../events/outbox.js';
import { GroupCommit } from '../shared/group-commit.js';
import type { EndpointRow, EndpointStore } from './endpoint-store.js';
import type { AttemptRecord, MessageStore } from './message-store.js';
import type { WebhookMetrics } from './metrics.js';
import { nextAttemptAt } from './schedule.js';
import type { WebhookSender } from './sender.js';
import { signatureHeader } from './signature.js';
import type { WebhookMessage } from './types.js';

/** What the worker logs: failures, and an endpoint it disabled (an alert for the operator). */
export interface DispatcherLog {
  error(details: object, message: string): void;
}

export interface DispatcherOptions {
  outbox: Outbox;
  messages: MessageStore;
  endpoints: EndpointStore;
  sender: WebhookSender;
  /** The secrets an endpoint signs with now: the current one, and the previous during an overlap. */
  secretsOf: (endpoint: EndpointRow) => string[];
  metrics: WebhookMetrics;
  log: DispatcherLog;
  now: () => number;
  /** Seconds before each attempt (options.ts). */
  schedule: readonly number[];
  timeoutMs: number;
  /** How long a claim outlasts the timeout (GUESTPASS_WEBHOOK_CLAIM_MARGIN). */
  claimMarginMs: number;
  pollIntervalMs: number;
  concurrency: number;
  disableAfterMs: number;
}

const FAN_OUT_BATCH = 200;

interface PendingRecord {
  attempt: AttemptRecord;
  resolve(failingSince: number | null): void;
  reject(error: unknown): void;
}

/**
 * The delivery worker of one node: fans outbox rows out to messages, claims due messages and
 * sends them, at most `concurrency` at once. It runs when this node commits an outbound event
 * (outbox.onCommitted), when a delivery ends (the next message of its order key may go), and
 * every poll interval (other nodes' events, retries that came due).
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private again = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private idle: Promise<void> = Promise.resolve();
  /** Set when this node committed events or a poll came: the outbox may hold rows to fan out. */
  private outboxDirty = true;
  private readonly leaseMs: number;
  /**
   * Attempts are recorded in groups: deliveries that end together share one transaction (one
   * fsync on SQLite), which is what bounds deliveries per second. A delivery holds its slot,
   * and its message stays pending (so the next of its order key waits), until it is recorded.
   */
  private readonly records: GroupCommit<PendingRecord>;

  constructor(private readonly options: DispatcherOptions) {
    // A live node ends its request within the timeout and records it in a moment: the margin
    // covers a slow commit. A crashed node's messages are sent again once it lapses.
    this.leaseMs = options.timeoutMs + options.claimMarginMs;
    this.records = new GroupCommit({
      intervalMs: 1,
      maxGroupSize: options.concurrency,
      commit: async (group) => {
        try {
          const failingSince = await options.messages.record(group.map((item) => item.attempt));
          for (const [index, item] of group.entries()) item.resolve(failingSince[index] ?? null);
        } catch (error) {
          for (const item of group) item.reject(error);
        }
      },
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.options.outbox.onCommitted(() => this.kick({ outbox: true }));
    this.timer = setInterval(() => this.kick({ outbox: true }), this.options.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops claiming, and waits for the deliveries in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.idle;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs a cycle now, or once more after the one running; `outbox`: look for new outbox rows too. */
  kick({ outbox = false }: { outbox?: boolean } = {}): void {
    if (outbox) this.outboxDirty = true;
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.cycle().finally(() => {
      this.running = false;
    });
  }

  private async cycle(): Promise<void> {
    try {
      do {
        this.again = false;
        if (this.outboxDirty) {
          this.outboxDirty = false;
          while (!this.stopped && (await this.options.messages.fanOut(FAN_OUT_BATCH)) === FAN_OUT_BATCH);
        }
        const free = this.options.concurrency - this.inFlight.size;
        if (this.stopped || free <= 0) return;
        const claimed = await this.options.messages.claim(free, this.leaseMs);
        if (claimed.length === 0) continue;
        const endpoints = new Map((await this.options.endpoints.rows([...new Set(claimed.map((message) => message.endpointId))])).map((row) => [row.id, row]));
        for (const message of claimed) {
          const endpoint = endpoints.get(message.endpointId);
          if (!endpoint) continue;
          const delivery = this.deliver(message, endpoint)
            .catch((error: unknown) => this.options.log.error({ err: error, message_id: message.id }, 'webhook delivery could not be recorded'))
            .finally(() => {
              this.inFlight.delete(delivery);
              this.kick();
            });
          this.inFlight.add(delivery);
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      this.options.log.error({ err: error }, 'webhook dispatch failed');
    }
  }

  private async deliver(message: WebhookMessage, endpoint: EndpointRow): Promise<void> {
    const { sender, metrics, now, schedule } = this.options;
    const attemptedAt = now();
    const timestamp = Math.floor(attemptedAt / 1000);
    const headers = {
      'webhook-id': message.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(this.options.secretsOf(endpoint), message.eventId, timestamp, message.body),
    };
    const result = await sender.send(endpoint.url, headers, message.body);
    const succeeded = result.status !== undefined && result.status >= 200 && result.status < 300;
    const retryAt = succeeded ? undefined : nextAttemptAt(schedule, message.attemptCount + 1, now());
    const next: AttemptRecord['next'] = succeeded ? { status: 'delivered' } : retryAt === undefined ? { status: 'failed' } : { status: 'pending', at: retryAt };
    metrics.attempts.inc({ outcome: succeeded ? 'succeeded' : (result.error ?? 'http_error') });
    metrics.latency.observe(result.latencyMs / 1000);
    if (next.status !== 'pending') metrics.messages.inc({ status: next.status });

    const attempt: AttemptRecord = {
      messageId: message.id,
      endpointId: endpoint.id,
      attemptedAt,
      outcome: succeeded ? 'succeeded' : 'failed',
      responseStatus: result.status ?? null,
      responseBody: result.body ?? null,
      error: result.error ?? null,
      latencyMs: result.latencyMs,
      next,
    };
    const failingSince = await new Promise<number | null>((resolve, reject) => this.records.add({ attempt, resolve, reject }));
    if (failingSince !== null && now() - failingSince >= this.options.disableAfterMs && (await this.options.messages.disableFailing(endpoint.id))) {
      metrics.endpointsDisabled.inc();
      // An alert for whoever runs the server (shaped like the anomaly alerts' line, one level up):
      // the application behind the endpoint stops hearing events.
      this.options.log.error(
        { alert: { kind: 'webhook_endpoint_disabled', endpoint_id: endpoint.id, failing_since: new Date(failingSince).toISOString() } },
        'webhook endpoint disabled: no delivery to it has succeeded for GUESTPASS_WEBHOOK_DISABLE_AFTER; its messages wait until it is enabled again',
      );
    }
  }
}
