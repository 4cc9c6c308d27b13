import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { DomainEvent, EventName } from '../events/types.js';

/**
 * The replay format (docs/events.md): one domain event per line, exactly as the event bus
 * emits it, `{"type": "session.created", "time": 1772442000000, ...}`. Every event type has a
 * closed schema, so a replay file cannot smuggle in a raw address or an e-mail under a field
 * the engine would ignore, and a typo in a field name is an error, not a silently empty field.
 */

/** /24 or /48 as shared/network.ts writes them: never a full address. */
const Network = Type.Object(
  {
    ip_prefix: Type.String({ pattern: '^(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.0/24|[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/48)$' }),
    ip_version: Type.Union([Type.Literal(4), Type.Literal(6)]),
  },
  { additionalProperties: false },
);

const Id = Type.String({ minLength: 1, maxLength: 256 });
const base = { time: Type.Integer({ minimum: 0 }), client_id: Type.Optional(Id), subject: Type.Optional(Id), network: Type.Optional(Network) };
const session = { ...base, session_id: Id };
const count = Type.Integer({ minimum: 0 });
const EntityKind = Type.Union([Type.Literal('session'), Type.Literal('user'), Type.Literal('client'), Type.Literal('prefix'), Type.Literal('asn')]);

function event<K extends EventName, P extends TProperties>(type: K, properties: P) {
  return Type.Object({ type: Type.Literal(type), ...properties }, { additionalProperties: false });
}

const schemas = {
  'client.created': event('client.created', {
    ...base,
    client_type: Type.Union([Type.Literal('public'), Type.Literal('confidential')]),
    is_admin: Type.Boolean(),
  }),
  'client.updated': event('client.updated', base),
  'client.deleted': event('client.deleted', base),
  'client.secret_rotated': event('client.secret_rotated', { ...base, old_secret_expires_at: Type.Union([Type.Integer(), Type.Null()]) }),
  'client.authentication_failed': event('client.authentication_failed', { ...base, reason: Type.String() }),
  'token.issued': event('token.issued', { ...base, grant_type: Type.String(), jti: Id, scope: Type.String(), audience: Type.String(), expires_at: count }),
  'token.revoked': event('token.revoked', { ...base, token_kind: Type.Literal('access_token'), jti: Id }),
  'key.rotated': event('key.rotated', { ...base, use: Type.Union([Type.Literal('sig'), Type.Literal('enc')]), kid: Id }),
  'session.created': event('session.created', { ...session, is_anonymous: Type.Optional(Type.Boolean()), new_user: Type.Optional(Type.Boolean()) }),
  'session.refreshed': event('session.refreshed', { ...session, generation: count, is_anonymous: Type.Optional(Type.Boolean()) }),
  'session.revoked': event('session.revoked', { ...session, reason: Type.String() }),
  'session.metadata_updated': event('session.metadata_updated', { ...session, metadata_bytes: count }),
  'token.reused': event('token.reused', { ...session, presented_generation: count, current_generation: count }),
  'session.client_mismatch': event('session.client_mismatch', { ...session, session_client_id: Id }),
  'dpop.proof_replayed': event('dpop.proof_replayed', { ...base, session_id: Type.Optional(Id), jkt: Id }),
  'dpop.key_mismatch': event('dpop.key_mismatch', { ...base, session_id: Type.Optional(Id), expected_jkt: Id, presented_jkt: Id }),
  'signup.requested': event('signup.requested', { ...base, account_key: Id, has_guest: Type.Boolean() }),
  'login.succeeded': event('login.succeeded', { ...session, account_key: Id, method: Type.Union([Type.Literal('password'), Type.Literal('id_token')]) }),
  'login.failed': event('login.failed', { ...base, account_key: Id, reason: Type.Union([Type.Literal('bad_credentials'), Type.Literal('throttled')]) }),
  'user.converted': event('user.converted', { ...base, method: Type.Union([Type.Literal('email'), Type.Literal('id_token')]), session_id: Type.Optional(Id) }),
  'user.merged': event('user.merged', {
    ...base,
    guest_id: Id,
    account_id: Id,
    method: Type.Union([Type.Literal('email'), Type.Literal('login'), Type.Literal('id_token')]),
  }),
  'password.reset': event('password.reset', base),
  'user.culled': event('user.culled', { ...base, users: count, sessions: count, by_client: Type.Record(Id, count) }),
  'user.deleted': event('user.deleted', { ...base, merged_guests: count }),
  'alert.raised': event('alert.raised', {
    ...base,
    alert_id: Id,
    detector: Id,
    entity_kind: EntityKind,
    entity_id: Id,
    severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    action: Type.Union([Type.Literal('observe'), Type.Literal('throttle'), Type.Literal('revoke'), Type.Literal('block_prefix'), Type.Literal('quarantine')]),
  }),
  'session.transferred': event('session.transferred', { ...session, from_session_id: Id }),
  'device.authorization_requested': event('device.authorization_requested', { ...base, authorization_id: Id, expires_at: count }),
  'device.approved': event('device.approved', {
    ...base,
    authorization_id: Id,
    approved_as: Type.Union([Type.Literal('session'), Type.Literal('new_guest'), Type.Literal('account')]),
    is_anonymous: Type.Boolean(),
  }),
  'device.denied': event('device.denied', { ...base, authorization_id: Id }),
  'device.user_code_rejected': event('device.user_code_rejected', {
    ...base,
    reason: Type.Union([Type.Literal('unknown'), Type.Literal('expired'), Type.Literal('decided')]),
  }),
  'scope.refused': event('scope.refused', {
    ...base,
    grant: Type.Union([Type.Literal('guest_session'), Type.Literal('user_session'), Type.Literal('client_credentials'), Type.Literal('device')]),
    refused: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 }),
    refused_count: count,
    requested_count: count,
  }),
  'telemetry.ingested': event('telemetry.ingested', { ...session, accepted: count, rejected: count, ts_span_s: Type.Optional(count) }),
  'operator.added': event('operator.added', { ...base, role: Type.Union([Type.Literal('admin'), Type.Literal('viewer')]) }),
  'operator.removed': event('operator.removed', base),
  'operator.signed_in': event('operator.signed_in', { ...base, account_key: Id, totp: Type.Boolean() }),
  'operator.sign_in_failed': event('operator.sign_in_failed', {
    ...base,
    account_key: Id,
    reason: Type.Union([Type.Literal('bad_credentials'), Type.Literal('not_operator'), Type.Literal('totp_invalid'), Type.Literal('throttled')]),
  }),
  'operator.signed_out': event('operator.signed_out', base),
  'operator.totp_enabled': event('operator.totp_enabled', base),
  'operator.totp_disabled': event('operator.totp_disabled', base),
  'admin.action': event('admin.action', {
    ...base,
    actor_kind: Type.Union([Type.Literal('operator'), Type.Literal('client')]),
    method: Type.String({ maxLength: 16 }),
    route: Type.String({ maxLength: 256 }),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    target_id: Type.Optional(Id),
  }),
  'alert.verdict': event('alert.verdict', {
    ...base,
    alert_id: Id,
    detector: Id,
    entity_kind: EntityKind,
    entity_id: Id,
    status: Type.Union([
      Type.Literal('open'),
      Type.Literal('acknowledged'),
      Type.Literal('confirmed'),
      Type.Literal('false_positive'),
      Type.Literal('resolved'),
    ]),
    has_note: Type.Boolean(),
  }),
  'block.lifted': event('block.lifted', {
    ...base,
    block_id: Id,
    action: Type.Union([Type.Literal('throttle'), Type.Literal('block_prefix'), Type.Literal('quarantine')]),
    entity_kind: EntityKind,
    entity_id: Id,
    detector: Id,
    alert_id: Type.Optional(Id),
    reason: Type.Union([Type.Literal('admin'), Type.Literal('false_positive')]),
  }),
} satisfies { [K in EventName]: TObject };

// Both directions: a new or changed event type in events/types.ts fails to compile until its schema follows.
type Parsed = Static<(typeof schemas)[EventName]>;
const everyEventParses = (event: DomainEvent): Parsed => event;
const everyParsedIsAnEvent = (parsed: Parsed): DomainEvent => parsed;
void everyEventParses;
void everyParsedIsAnEvent;

export const EVENT_TYPES = Object.keys(schemas) as EventName[];

/** A replay line that is not a valid domain event; the message says what to fix. */
export class ReplayLineError extends Error {
  override name = 'ReplayLineError';
}

/** Parses and validates one line of a replay file. */
export function parseReplayLine(line: string): DomainEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new ReplayLineError('not JSON: each line must be one JSON object');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ReplayLineError('not a JSON object');
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) {
    throw new ReplayLineError(`"type" must be a domain event name (${EVENT_TYPES.join(', ')}), got ${JSON.stringify(type)}`);
  }
  const schema = schemas[type as EventName];
  const issue = Value.Errors(schema, json).First();
  if (issue) {
    const field = issue.path.replace(/^\//, '').replaceAll('/', '.');
    if (issue.message === 'Unexpected property') throw new ReplayLineError(`unknown field "${field}" in a ${type} event (see docs/events.md)`);
    throw new ReplayLineError(`${type}: ${field ? `field "${field}"` : 'the event'}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}`);
  }
  return json as DomainEvent;
}
