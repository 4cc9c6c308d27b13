import { option, type OptionValues } from '../config/option.js';
import { parseDuration, parseInteger, parseString } from '../config/parsers.js';

/** Options of the telemetry feature (collected with the others in app/config.ts, read by config/index.ts). */
export const telemetryOptions = {
  telemetryEventsPerMinutePerSession: option({
    env: 'GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION',
    default: 1200,
    doc: 'Telemetry events per minute one session (or one client_credentials token subject) may send to POST /v1/events (0 disables). A batch that does not fit is refused whole with 429 and Retry-After.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  telemetryEventsPerMinutePerClient: option({
    env: 'GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_CLIENT',
    default: 600_000,
    doc: 'Telemetry events per minute for one client across all its sessions (0 disables): a ceiling on what one application can push into the store.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  telemetryRetention: option({
    env: 'GUESTPASS_TELEMETRY_RETENTION',
    default: 90 * 86400,
    defaultDoc: '90d',
    doc: 'How long telemetry events, their one-minute rollups and per-user activity days are kept (seconds, or 30d, 12h). Older rows are purged in batches every few minutes.',
    parse: (raw) => parseDuration(raw, { min: 3600, max: 3650 * 86400 }),
  }),
  telemetryCommitInterval: option({
    env: 'GUESTPASS_TELEMETRY_COMMIT_INTERVAL',
    default: 0.004,
    defaultDoc: '4ms',
    doc: 'Group commit: accepted events wait at most this long (seconds, or 4ms) to be written together in one transaction; every request is answered only after its transaction commits.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 1 }),
  }),
  telemetryCompactInterval: option({
    env: 'GUESTPASS_TELEMETRY_COMPACT_INTERVAL',
    default: 5,
    defaultDoc: '5s',
    doc: 'How often the one-minute rollup rows each group commit appends are merged into one row per key (seconds, or 500ms; 0 stops the background merge, for a test that runs it itself). Queries read appended rows too, so this bounds storage, not freshness.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 3600 }),
  }),
  telemetryCountryDb: option({
    env: 'GUESTPASS_TELEMETRY_COUNTRY_DB',
    default: 'dbip',
    defaultDoc: 'dbip (bundled DB-IP Lite, CC BY 4.0)',
    doc: "Where the country of a telemetry request comes from: `dbip` (the server's geolocation database, shared with anomaly detection: GUESTPASS_GEOIP_DATABASE, else the bundled DB-IP Lite, loaded once), a path to a MaxMind-format .mmdb file of its own, or `off`. Only the country code is kept, never the address.",
    parse: parseString,
  }),
} as const;

/** The values of the telemetry options, as the server's configuration holds them. */
export type TelemetryConfig = OptionValues<typeof telemetryOptions>;
