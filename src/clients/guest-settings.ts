import { type MergeStrategies, readMergeStrategies } from '../accounts/index.js';
import { clientError } from './error-codes.js';
import { compileMetadataSchema, UnusableSchemaError } from './metadata-schema.js';

/** Copies a metadata value into the access token: `{"claim": "currency", "path": "preferences.currency"}`. */
export interface ClaimMapping {
  claim: string;
  path: string;
}

/**
 * Per-client telemetry allow-lists (docs/telemetry.md), applied to every token of the client,
 * guest or registered. Absent lists allow every event name and every prop key.
 */
export interface TelemetrySettings {
  allowedEvents?: string[];
  allowedProps?: string[];
}

/** How a client's guest sessions behave. Every field has a default a real site can live with. */
export interface GuestSettings {
  /** May this client create guest sessions at POST /anonymous/token? */
  enabled: boolean;
  /** Scopes guest access tokens may carry; a request without `scope` gets all of them. */
  scopes: string[];
  /** Absolute session lifetime in seconds. @default 2592000 (30 days) */
  sessionTtl: number;
  /** A session unused (not refreshed) this long expires. @default 604800 (7 days) */
  idleTimeout: number;
  /**
   * Seconds a guest with no live session is kept after its last activity before the cull
   * deletes it (sessions/cull.ts); null keeps it for `sessionTtl`, the shortest allowed, so no
   * live session token ever names a deleted user. @default null
   */
  retention: number | null;
  /**
   * Seconds in which the immediate predecessor of a rotated token still gets a result: two tabs
   * refreshing at once, or a client whose refresh response was lost when a node died after
   * committing the rotation, retries with the token it still has. 0 makes every token strictly
   * single-use. @default 10
   */
  refreshGrace: number;
  /** Largest serialized metadata in bytes. @default 4096 */
  metadataMaxBytes: number;
  /** JSON Schema the metadata must satisfy, if any. */
  metadataSchema: Record<string, unknown> | null;
  /** Metadata values copied into access tokens (at most 10). */
  claimsMapping: ClaimMapping[];
  /** Every token request must carry a DPoP proof (RFC 9449). */
  requireDpop: boolean;
  /** Metadata writes must carry If-Match (428 otherwise). */
  requireIfMatch: boolean;
  /** Where the session token goes by default: the JSON body, or an HttpOnly cookie. */
  transport: 'body' | 'cookie';
  /** Per-key strategies for merging a guest into an existing account; override GUESTPASS_MERGE_STRATEGIES. */
  mergeStrategies: MergeStrategies;
  /** Telemetry allow-lists for POST /v1/events; null allows every name and prop key. */
  telemetry: TelemetrySettings | null;
  /**
   * Guests may move to another device with a transfer code (POST /anonymous/transfer, then
   * POST /anonymous/token with `transfer_code`): opt-in, since a code is a credential for the
   * guest's data. @default false
   */
  transferCodes: boolean;
}

/**
 * The longest `session_ttl` a client may configure (90 days): no session token outlives it,
 * so a session's tombstone is kept this long (sessions/revoker.ts).
 */
export const MAX_SESSION_TTL_SECONDS = 90 * 86400;

/** The longest `retention` a client may configure (10 years): the cull keeps a guest no longer. */
export const MAX_RETENTION_SECONDS = 3650 * 86400;

/** How long the cull keeps a client's inactive guests: its retention, or its session lifetime by default. */
export function retentionOf(settings: Pick<GuestSettings, 'retention' | 'sessionTtl'>): number {
  return settings.retention ?? settings.sessionTtl;
}

export const DEFAULT_GUEST_SETTINGS: GuestSettings = {
  enabled: true,
  scopes: [],
  sessionTtl: 30 * 86400,
  idleTimeout: 7 * 86400,
  retention: null,
  refreshGrace: 10,
  metadataMaxBytes: 4096,
  metadataSchema: null,
  claimsMapping: [],
  requireDpop: false,
  requireIfMatch: false,
  transport: 'body',
  mergeStrategies: {},
  telemetry: null,
  transferCodes: false,
};

/** Claims a mapping may not overwrite: registered JWT claims and the ones Guestpass sets. */
export const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'sid',
  'is_anonymous',
  'cnf',
  'azp',
  'auth_time',
  'acr',
  'amr',
  'typ',
]);

/**
 * Names that reach an object's prototype rather than its data. A claim or path segment never
 * uses one: `__proto__` as a claim would set the prototype of the claims object, and as a path
 * segment would read `Object.prototype` into a token.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const invalid = (description: string) => clientError('INVALID_CLIENT_METADATA', description);

function checkClaimsMapping(mappings: unknown): void {
  if (!Array.isArray(mappings)) throw invalid('guest.claims_mapping must be a list of {"claim", "path"} pairs.');
  if (mappings.length > 10) throw invalid('guest.claims_mapping may hold at most 10 mappings.');
  for (const mapping of mappings as Partial<ClaimMapping>[]) {
    const { claim, path } = mapping ?? {};
    if (typeof claim !== 'string' || typeof path !== 'string' || Object.keys(mapping).length !== 2) {
      throw invalid('Each guest.claims_mapping entry must be {"claim": "<name>", "path": "<dotted.path>"} and nothing else.');
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(claim)) throw invalid(`Claim name "${claim}" must be 1–64 letters, digits or underscores.`);
    if (RESERVED_CLAIMS.has(claim)) throw invalid(`Claim "${claim}" is reserved and cannot be mapped from metadata.`);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$/.test(path)) throw invalid(`Path "${path}" must be a direct dotted path such as preferences.currency.`);
    if (PROTOTYPE_KEYS.has(claim) || path.split('.').some((segment) => PROTOTYPE_KEYS.has(segment))) {
      throw invalid(
        `Claim mapping ${JSON.stringify({ claim, path })} names __proto__, constructor or prototype, which reach an object's prototype rather than metadata.`,
      );
    }
  }
}

/** The schema must compile now, on the linear-time pattern engine, not fail later on every metadata write. */
function checkMetadataSchema(schema: unknown): void {
  if (schema === null || schema === undefined) return;
  try {
    compileMetadataSchema(schema);
  } catch (error) {
    if (error instanceof UnusableSchemaError) throw invalid(`${error.message}.`);
    throw error;
  }
}

function integerIn(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be a whole number from ${min} to ${max}.`);
  return value;
}

/** Fills defaults and checks bounds; throws INVALID_CLIENT_METADATA naming the bad field. */
export function validateGuestSettings(input: Partial<GuestSettings> | undefined): GuestSettings {
  const settings = { ...DEFAULT_GUEST_SETTINGS, ...input };
  integerIn(settings.sessionTtl, 300, MAX_SESSION_TTL_SECONDS, 'guest.session_ttl');
  integerIn(settings.idleTimeout, 60, 90 * 86400, 'guest.idle_timeout');
  if (settings.retention !== null) {
    integerIn(settings.retention, 300, MAX_RETENTION_SECONDS, 'guest.retention');
    if (settings.retention < settings.sessionTtl) {
      throw invalid(
        `guest.retention (${settings.retention} s) must be at least guest.session_ttl (${settings.sessionTtl} s): no live session token may point at a deleted user. Raise it, or set it to null to follow session_ttl.`,
      );
    }
  }
  integerIn(settings.refreshGrace, 0, 60, 'guest.refresh_grace');
  integerIn(settings.metadataMaxBytes, 2, 64 * 1024, 'guest.metadata_max_bytes');
  checkClaimsMapping(settings.claimsMapping);
  checkMetadataSchema(settings.metadataSchema);
  if (settings.transport !== 'body' && settings.transport !== 'cookie') throw invalid('guest.transport must be "body" or "cookie".');
  if (typeof settings.transferCodes !== 'boolean') throw invalid('guest.transfer_codes must be true or false.');
  try {
    settings.mergeStrategies = readMergeStrategies(settings.mergeStrategies, 'guest.merge_strategies');
  } catch (error) {
    throw invalid(`${(error as Error).message}.`);
  }
  for (const [name, list] of [
    ['allowed_events', settings.telemetry?.allowedEvents],
    ['allowed_props', settings.telemetry?.allowedProps],
  ] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length > 500 || !list.every((entry) => typeof entry === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(entry))) {
      throw invalid(`guest.telemetry.${name} must be a list of at most 500 names of 1–64 letters, digits or . _ : -.`);
    }
  }
  return settings;
}

/** The snake_case shape of guest settings in the admin API and `--guest-settings` JSON. */
export interface GuestSettingsJson {
  enabled?: boolean;
  scopes?: string[];
  session_ttl?: number;
  idle_timeout?: number;
  retention?: number | null;
  refresh_grace?: number;
  metadata_max_bytes?: number;
  metadata_schema?: Record<string, unknown> | null;
  claims_mapping?: ClaimMapping[];
  require_dpop?: boolean;
  require_if_match?: boolean;
  transport?: 'body' | 'cookie';
  merge_strategies?: Record<string, unknown>;
  telemetry?: { allowed_events?: string[]; allowed_props?: string[] } | null;
  transfer_codes?: boolean;
}

const jsonNames: [keyof GuestSettingsJson, keyof GuestSettings][] = [
  ['enabled', 'enabled'],
  ['scopes', 'scopes'],
  ['session_ttl', 'sessionTtl'],
  ['idle_timeout', 'idleTimeout'],
  ['retention', 'retention'],
  ['refresh_grace', 'refreshGrace'],
  ['metadata_max_bytes', 'metadataMaxBytes'],
  ['metadata_schema', 'metadataSchema'],
  ['claims_mapping', 'claimsMapping'],
  ['require_dpop', 'requireDpop'],
  ['require_if_match', 'requireIfMatch'],
  ['transport', 'transport'],
  ['merge_strategies', 'mergeStrategies'],
  ['telemetry', 'telemetry'],
  ['transfer_codes', 'transferCodes'],
];

export function guestSettingsFromJson(json: GuestSettingsJson): Partial<GuestSettings> {
  const known = new Set<string>(jsonNames.map(([jsonName]) => jsonName));
  const unknown = Object.keys(json).filter((key) => !known.has(key));
  if (unknown.length > 0) throw invalid(`Unknown guest setting "${unknown[0]}"; known: ${[...known].join(', ')}.`);
  const settings: Record<string, unknown> = {};
  for (const [jsonName, name] of jsonNames) if (json[jsonName] !== undefined) settings[name] = json[jsonName];
  if (json.telemetry) {
    const { allowed_events, allowed_props, ...rest } = json.telemetry;
    if (Object.keys(rest).length > 0) throw invalid(`Unknown telemetry setting "${Object.keys(rest)[0]}"; known: allowed_events, allowed_props.`);
    settings['telemetry'] = { ...(allowed_events ? { allowedEvents: allowed_events } : {}), ...(allowed_props ? { allowedProps: allowed_props } : {}) };
  }
  return settings as Partial<GuestSettings>;
}

export function guestSettingsToJson(settings: GuestSettings): Required<GuestSettingsJson> {
  const json: Record<string, unknown> = {};
  for (const [jsonName, name] of jsonNames) json[jsonName] = settings[name];
  const telemetry = settings.telemetry;
  json['telemetry'] = telemetry
    ? {
        ...(telemetry.allowedEvents ? { allowed_events: telemetry.allowedEvents } : {}),
        ...(telemetry.allowedProps ? { allowed_props: telemetry.allowedProps } : {}),
      }
    : null;
  return json as unknown as Required<GuestSettingsJson>;
}
