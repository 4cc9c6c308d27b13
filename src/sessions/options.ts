import { option, type OptionValues } from '../config/option.js';
import { parseDuration, parseEnum, parseInteger } from '../config/parsers.js';

/** Options of the sessions feature (collected with the others in app/config.ts, read by config/index.ts). */
export const sessionOptions = {
  cullInterval: option({
    env: 'GUESTPASS_CULL_INTERVAL',
    default: 3600,
    defaultDoc: '1h',
    doc: 'How often the server culls stale guests and purges expired sessions (seconds, or 30m, 6h; each run is jittered by ±10% so nodes drift apart; 0 turns the scheduled run off, `guestpass guests cull` still works). One node runs at a time.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 7 * 86400 }),
  }),
  cullTelemetry: option<'delete' | 'keep'>({
    env: 'GUESTPASS_CULL_TELEMETRY',
    default: 'delete',
    doc: 'What the cull does with a culled guest’s telemetry (its events and activity days): `delete` them with the guest, or `keep` them, pseudonymous, under an id that no longer names anyone. Rollups are aggregates and always stay.',
    parse: (raw) => parseEnum(raw, ['delete', 'keep'] as const),
  }),
  cullBatchSize: option({
    env: 'GUESTPASS_CULL_BATCH_SIZE',
    default: 500,
    doc: 'Guests the cull deletes per transaction. Between batches it pauses, so SQLite’s single writer is never held for long.',
    parse: (raw) => parseInteger(raw, { min: 1, max: 10_000 }),
  }),
  transferCodeTtl: option({
    env: 'GUESTPASS_TRANSFER_CODE_TTL',
    default: 300,
    defaultDoc: '5m',
    doc: 'How long a guest transfer code stays valid (seconds, or 2m, 10m; 30 s to 15 min). It is single-use either way.',
    parse: (raw) => parseDuration(raw, { min: 30, max: 900 }),
  }),
  transferRateLimitPerIp: option({
    env: 'GUESTPASS_TRANSFER_RATE_LIMIT_PER_IP',
    default: 10,
    doc: 'Transfer codes presented at POST /anonymous/token per IP address per minute, right or wrong; 0 turns the limit off.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  transferRateLimitPerSession: option({
    env: 'GUESTPASS_TRANSFER_RATE_LIMIT_PER_SESSION',
    default: 10,
    doc: 'Transfer codes one session may create per minute (POST /anonymous/transfer); 0 turns the limit off.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
} as const;

export type SessionsConfig = OptionValues<typeof sessionOptions>;
