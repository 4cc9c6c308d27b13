import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import type { AdminAccess } from '../operators/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { Store } from '../storage/database.js';
import { auditAdminRoutes } from './admin-routes.js';
import type { AuditConfig } from './options.js';
import { AuditService } from './service.js';

export interface AuditDeps {
  database: Store;
  /** Every event it emits is logged (onAny). */
  events: EventBus;
  metrics: Metrics;
  now: () => number;
  config: AuditConfig;
  logger?: Pick<Logger, 'error'>;
  /** The admin API's access check (operators/). */
  admin: AdminAccess;
}

export interface AuditFeature {
  /** Records from the bus at once (unless GUESTPASS_AUDIT_LOG is off); `close()` writes what is left. */
  service: AuditService;
  /** GET /admin/api/audit. */
  routes(app: FastifyInstance): Promise<void>;
}

/** The domain-event log: every event the bus emits, for admins, SIEM feeds and `detect --replay`. */
export function createAudit({ database, events, metrics, now, config, logger, admin }: AuditDeps): AuditFeature {
  let droppedSinceLog = 0;
  const service = new AuditService({
    store: database,
    events,
    now,
    record: config.auditLog,
    retentionMs: config.auditRetention * 1000,
    flushIntervalMs: config.auditFlushInterval * 1000,
    maxBuffered: config.auditBuffer,
    onFlush: (rows, seconds) => {
      metrics.auditAppended.inc(rows);
      metrics.auditFlushes.observe(seconds);
      if (droppedSinceLog > 0) {
        logger?.error({ dropped: droppedSinceLog }, 'the audit log is written again; events were dropped while its buffer was full');
        droppedSinceLog = 0;
      }
    },
    onDropped: (count, why) => {
      metrics.auditDropped.inc({ reason: why }, count);
      // One line when dropping starts and one with the total when writes resume, not one per event.
      if (why === 'shutdown') logger?.error({ dropped: count }, 'audit log events dropped at shutdown: the last write failed');
      else if (droppedSinceLog++ === 0)
        logger?.error({ buffer: config.auditBuffer }, 'the audit log buffer is full: new events are dropped until writes succeed');
    },
    onError: (error, what) => logger?.error({ err: error }, `${what} failed`),
  });
  return {
    service,
    async routes(app) {
      await auditAdminRoutes(app, { audit: service, admin });
    },
  };
}
