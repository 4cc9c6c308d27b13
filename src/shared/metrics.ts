import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HotHistogram } from './hot-histogram.js';

/**
 * Prometheus metrics for one server instance. A registry per instance (not prom-client's
 * global one) lets several servers run in one process, as the tests do.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'guestpass_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new HotHistogram({
    name: 'guestpass_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly tokensIssued = new Counter({
    name: 'guestpass_tokens_issued_total',
    help: 'Access tokens issued, by grant type.',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'guestpass_errors_total',
    help: 'Error responses by OAuth error string and Guestpass error code.',
    labelNames: ['error', 'code'] as const,
    registers: [this.registry],
  });

  readonly anomalyAlerts = new Counter({
    name: 'guestpass_anomaly_alerts_total',
    help: 'Alerts raised (new per detector, entity and window), by detector and severity.',
    labelNames: ['detector', 'severity'] as const,
    registers: [this.registry],
  });

  readonly anomalyContainment = new Counter({
    name: 'guestpass_anomaly_containment_total',
    help: 'Containment applied to new alerts, by detector and action.',
    labelNames: ['detector', 'action'] as const,
    registers: [this.registry],
  });

  readonly anomalyProcessing = new HotHistogram({
    name: 'guestpass_anomaly_processing_seconds',
    help: 'Time the detection engine and containment spend on one domain event, inline in the request.',
    buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
    registers: [this.registry],
  });

  /** Set by the anomaly feature: verdict counts per detector, read when /metrics is scraped. */
  anomalyFeedback?: () => Promise<Map<string, { truePositives: number; falsePositives: number }>>;

  readonly anomalyPrecision = new Gauge({
    name: 'guestpass_anomaly_precision',
    help: 'Per detector, alerts confirmed (acknowledged or resolved) / alerts with a verdict; false_positive counts against.',
    labelNames: ['detector'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.anomalyFeedback) return;
      this.anomalyPrecision.reset();
      for (const [detector, { truePositives, falsePositives }] of await this.anomalyFeedback()) {
        if (truePositives + falsePositives > 0) this.anomalyPrecision.set({ detector }, truePositives / (truePositives + falsePositives));
      }
    },
  });

  /** Set by the anomaly feature: what verdicts taught the engine, per detector (engine.stats().feedback). */
  anomalyLearning?: () => Record<string, { raised_floor: number; boosted: number; downgraded: number }>;

  readonly anomalyFeedbackAdjustments = new Gauge({
    name: 'guestpass_anomaly_feedback_adjustments',
    help: 'Per detector, what verdicts taught this node: entities with a raised floor (false positives), entities boosted (confirmed), findings downgraded below a raised floor (low, observe only).',
    labelNames: ['detector', 'adjustment'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.anomalyLearning) return;
      this.anomalyFeedbackAdjustments.reset();
      for (const [detector, counts] of Object.entries(this.anomalyLearning())) {
        for (const [adjustment, value] of Object.entries(counts)) this.anomalyFeedbackAdjustments.set({ detector, adjustment }, value);
      }
    },
  });

  readonly telemetryEvents = new Counter({
    name: 'guestpass_telemetry_events_total',
    help: 'Telemetry events by outcome: accepted, duplicate, rejected (schema, size, time window) or dropped (privacy pipeline).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly telemetryDropped = new Counter({
    name: 'guestpass_telemetry_privacy_dropped_total',
    help: 'Telemetry events the privacy pipeline dropped, by step and reason.',
    labelNames: ['step', 'reason'] as const,
    registers: [this.registry],
  });

  readonly telemetryRedactions = new Counter({
    name: 'guestpass_telemetry_privacy_redactions_total',
    help: 'Values the privacy pipeline removed or replaced in kept telemetry events, by step and reason.',
    labelNames: ['step', 'reason'] as const,
    registers: [this.registry],
  });

  readonly telemetryCommits = new Histogram({
    name: 'guestpass_telemetry_commit_seconds',
    help: 'Group-commit transactions of telemetry events, by duration.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly guestsCulled = new Counter({
    name: 'guestpass_guests_culled_total',
    help: 'Stale guests deleted by the cull, by the client that created them ((none) for a guest without one).',
    labelNames: ['client_id'] as const,
    registers: [this.registry],
  });

  readonly auditAppended = new Counter({
    name: 'guestpass_audit_events_total',
    help: 'Domain events written to the audit log.',
    registers: [this.registry],
  });

  readonly auditFlushes = new Histogram({
    name: 'guestpass_audit_flush_seconds',
    help: 'Group-commit writes of the audit log (one transaction each), by duration.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly auditDropped = new Counter({
    name: 'guestpass_audit_dropped_total',
    help: 'Domain events the audit log dropped: buffer_full (the database could not be written for too long) or shutdown (the last write failed).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'guestpass_redis_errors_total',
    help: 'Redis commands that failed or timed out, by what they were for (rate_limit, dpop_replay, publish, connection); each was answered by the documented fallback.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly redisConnected = new Gauge({
    name: 'guestpass_redis_connected',
    help: '1 while the Redis command connection is ready, 0 otherwise (always 0 without GUESTPASS_REDIS_URL).',
    registers: [this.registry],
  });

  readonly anomalyGlobal = new Gauge({
    name: 'guestpass_anomaly_global_detection',
    help: "1 while this node's detectors are fed every node's events through Redis, 0 while they see this node's only (no Redis, or Redis not answering).",
    registers: [this.registry],
  });

  readonly anomalySharedEvents = new Counter({
    name: 'guestpass_anomaly_shared_events_total',
    help: "Domain events shared between nodes for detection: published (this node's, sent to Redis), received (other nodes', fed to the detectors), dropped (not sent: Redis did not answer).",
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  constructor({ defaultMetrics = true } = {}) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'guestpass_' });
  }
}
