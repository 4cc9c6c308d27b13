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
} as const;

export type SessionsConfig = OptionValues<typeof sessionOptions>;
