import { option, type OptionValues } from '../config/option.js';
import { parseBoolean, parseDuration, parseInteger } from '../config/parsers.js';

/** Options of the audit feature (collected with the others in app/config.ts). */
export const auditOptions = {
  auditLog: option({
    env: 'GUESTPASS_AUDIT_LOG',
    default: true,
    defaultDoc: 'on',
    doc: 'Append every domain event to the event log (GET /admin/api/audit, `guestpass events export`). `off` records nothing; what is already stored stays readable until the retention purges it.',
    parse: parseBoolean,
  }),
  auditRetention: option({
    env: 'GUESTPASS_AUDIT_RETENTION',
    default: 30 * 86400,
    defaultDoc: '30d',
    doc: 'How long logged domain events are kept, by event time, in seconds (or 12h, 30d). Purged in batches every 10 minutes.',
    parse: (raw) => parseDuration(raw, { min: 3600, max: 10 * 365 * 86400 }),
  }),
  auditFlushInterval: option({
    env: 'GUESTPASS_AUDIT_FLUSH_INTERVAL',
    default: 0.25,
    defaultDoc: '250ms',
    doc: 'How long an event waits for others before they are written together in one transaction (group commit; 500 events are written at once). Also flushed on shutdown; a crash loses at most this much.',
    parse: (raw) => parseDuration(raw, { min: 0.001, max: 60 }),
  }),
  auditBuffer: option({
    env: 'GUESTPASS_AUDIT_BUFFER',
    default: 50_000,
    doc: 'Events held in memory while the database cannot be written; past this, new events are dropped, counted in guestpass_audit_dropped_total and logged. About 400 bytes each.',
    parse: (raw) => parseInteger(raw, { min: 100, max: 10_000_000 }),
  }),
} as const;

/** The values of the audit options, as the server's configuration holds them. */
export type AuditConfig = OptionValues<typeof auditOptions>;
