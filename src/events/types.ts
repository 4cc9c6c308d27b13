/**
 * The domain events of Guestpass, named `noun.verb`. Every event carries its own event time
 * (so detectors can replay history on event time) and coarse network data only: the IP prefix
 * (/24 for IPv4, /48 for IPv6), never the full address.
 */

import type { NetworkInfo } from '../shared/network.js';

export type { NetworkInfo } from '../shared/network.js';

export interface EventBase {
  /** Epoch milliseconds at which the event happened. */
  time: number;
  client_id?: string;
  /** The user id or client id the event is about. */
  subject?: string;
  network?: NetworkInfo;
}

/** Session events: `subject` is the user id, `client_id` the client that made the request. */
export interface SessionEventBase extends EventBase {
  session_id: string;
}

export interface DomainEvents {
  'client.created': EventBase & { client_type: 'public' | 'confidential'; is_admin: boolean };
  'client.updated': EventBase;
  'client.deleted': EventBase;
  'client.secret_rotated': EventBase & { old_secret_expires_at: number | null };
  'client.authentication_failed': EventBase & { reason: string };
  'token.issued': EventBase & { grant_type: string; jti: string; scope: string; audience: string; expires_at: number };
  'token.revoked': EventBase & { token_kind: 'access_token'; jti: string };
  'key.rotated': EventBase & { use: 'sig' | 'enc'; kid: string };
  /**
   * A session started. `is_anonymous`: whether the user is a guest; `new_user`: POST
   * /anonymous/token made a fresh guest id (not a user_id the client brought, not a login).
   * Both are always set by this version; they are optional only so that replay files recorded
   * before them still parse, and a consumer treats their absence as unknown.
   */
  'session.created': SessionEventBase & { is_anonymous?: boolean; new_user?: boolean };
  /** A session token was rotated; `is_anonymous` as in `session.created`. */
  'session.refreshed': SessionEventBase & { generation: number; is_anonymous?: boolean };
  /**
   * A session ended early, emitted once per session and only by the sessions feature's
   * `SessionRevoker`, whoever asked. `client_id` and `subject` are the session's own (absent
   * only for a tombstone of an unknown id); `network` is there only when the request that
   * presented this session caused it (logout, reuse, a merge of the presented guest), never an
   * admin's or a password resetter's. `reason`: see `RevocationReason` in sessions/revoker.ts.
   */
  'session.revoked': SessionEventBase & { reason: string };
  'session.metadata_updated': SessionEventBase & { metadata_bytes: number };
  /** A session token older than the current generation was presented (RFC 9700 §4.14.2). */
  'token.reused': SessionEventBase & { presented_generation: number; current_generation: number };
  /** A session token was presented by another client than its own (RFC 6749 §6). */
  'session.client_mismatch': SessionEventBase & { session_client_id: string };
  /** A DPoP proof's `jti` was seen before (RFC 9449 §11.1). */
  'dpop.proof_replayed': EventBase & { session_id?: string; jkt: string };
  /** A bound session or token was presented with a proof made by another key. */
  'dpop.key_mismatch': EventBase & { session_id?: string; expected_jkt: string; presented_jkt: string };

  /**
   * Account events. `account_key` is a keyed hash of the normalised e-mail address (never the
   * address): it lets detectors count distinct accounts per network without personal data.
   */
  'signup.requested': EventBase & { account_key: string; has_guest: boolean };
  'login.succeeded': SessionEventBase & { account_key: string; method: 'password' | 'id_token' };
  'login.failed': EventBase & { account_key: string; reason: 'bad_credentials' | 'throttled' };
  /** A guest became a registered user in place: same user id (`subject`). */
  'user.converted': EventBase & { method: 'email' | 'id_token'; session_id?: string };
  /** A guest was merged into an existing account; applications move their own rows. */
  'user.merged': EventBase & { guest_id: string; account_id: string; method: 'email' | 'login' | 'id_token' };
  'password.reset': EventBase;
  /**
   * The cull deleted stale guests: one event per batch (one transaction), with counts only,
   * never ids. `users` by the client that created them in `by_client` (`(none)` for a guest
   * without one); `sessions` is the session rows deleted with them.
   */
  'user.culled': EventBase & { users: number; sessions: number; by_client: Record<string, number> };
  /**
   * A person was erased (GDPR Art. 17) by an admin or by themselves: `subject` is the erased user
   * id, `merged_guests` how many guests merged into it were erased with it. Nothing of theirs is
   * left to look up.
   */
  'user.deleted': EventBase & { merged_guests: number };

  /**
   * The anomaly feature stored a new alert (one per detector, entity and window) and applied
   * its containment. `time` is the event time of the finding; `entity_id` is pseudonymous.
   */
  'alert.raised': EventBase & {
    alert_id: string;
    detector: string;
    entity_kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
    entity_id: string;
    severity: 'low' | 'medium' | 'high' | 'critical';
    score: number;
    action: 'observe' | 'throttle' | 'revoke' | 'block_prefix' | 'quarantine';
  };

  /**
   * A guest transfer code was redeemed (POST /anonymous/token with `transfer_code`): a new
   * session (`session_id`) of the same user (`subject`) started on another device, from the
   * session that made the code (`from_session_id`). `network` is the new device's. Emitted just
   * before that session's `session.created`, so detectors read the move as one person's two
   * devices, not a stolen token.
   */
  'session.transferred': SessionEventBase & { from_session_id: string };

  /**
   * RFC 8628 device authorization. `authorization_id` is the request's own id (never a code).
   * `device.authorization_requested`: a device asked for codes (`network` is the device's).
   * `device.approved`: a person approved it at the verification page, as the user of their
   * browser's session, as a new guest, or as an account they signed in to on the page
   * (`approved_as`); `subject` is that user, `network` the
   * browser's. `device.denied`: a person denied it. `device.user_code_rejected`: a user code
   * typed at the page named no pending request; a burst of them from one network is guessing.
   */
  'device.authorization_requested': EventBase & { authorization_id: string; expires_at: number };
  'device.approved': EventBase & { authorization_id: string; approved_as: 'session' | 'new_guest' | 'account'; is_anonymous: boolean };
  'device.denied': EventBase & { authorization_id: string };
  'device.user_code_rejected': EventBase & { reason: 'unknown' | 'expired' | 'decided' };

  /**
   * Console operators (operators/). `subject` is the operator's user id; sign-in failures carry
   * only `account_key` (the keyed hash of the address typed), as `login.failed` does.
   */
  'operator.added': EventBase & { role: 'admin' | 'viewer' };
  'operator.removed': EventBase;
  'operator.signed_in': EventBase & { account_key: string; totp: boolean };
  'operator.sign_in_failed': EventBase & { account_key: string; reason: 'bad_credentials' | 'not_operator' | 'totp_invalid' | 'throttled' };
  'operator.signed_out': EventBase;
  'operator.totp_enabled': EventBase;
  'operator.totp_disabled': EventBase;
  /**
   * A write through the admin API succeeded (2xx/3xx), whoever made it: `subject` is the actor's
   * id (an operator's user id or an admin client's id), `route` the route pattern
   * (`/admin/api/clients/:id`), `target_id` the `:id` of the URL when it has one.
   */
  'admin.action': EventBase & { actor_kind: 'operator' | 'client'; method: string; route: string; status: number; target_id?: string };

  /**
   * An operator recorded a verdict on an alert (PATCH /admin/api/alerts/:id). A false_positive
   * verdict also lifts the alert's blocks, each announced as `block.lifted`. The note stays on
   * the alert (it is free text): the event says only whether one was written.
   */
  'alert.verdict': EventBase & {
    alert_id: string;
    detector: string;
    entity_kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
    entity_id: string;
    status: 'open' | 'acknowledged' | 'confirmed' | 'false_positive' | 'resolved';
    has_note: boolean;
  };
  /** A block ended before its time: lifted by an operator (`admin`) or by its alert's false_positive verdict. */
  'block.lifted': EventBase & {
    block_id: string;
    action: 'throttle' | 'block_prefix' | 'quarantine';
    entity_kind: 'session' | 'user' | 'client' | 'prefix' | 'asn';
    entity_id: string;
    detector: string;
    alert_id?: string;
    reason: 'admin' | 'false_positive';
  };

  /**
   * A token request named a scope its client (or the kind of user it asks for) may not have,
   * and was refused with `invalid_scope`: emitted once per refused request, by the one scope
   * check (oauth/scope.ts). `grant`: where the scope was asked for. `refused`: the refused
   * names (at most 10, each cut to 64 characters; scope names are the client's vocabulary,
   * not personal data), `refused_count` all of them, `requested_count` the tokens asked for.
   * One app build asking for a removed scope refuses the same name from many networks; a
   * probe tries many names from one.
   */
  'scope.refused': EventBase & {
    grant: 'guest_session' | 'user_session' | 'client_credentials' | 'device';
    refused: string[];
    refused_count: number;
    requested_count: number;
  };

  /** A batch of telemetry events was accepted for a session. */
  /**
   * `ts_span_s`: seconds between the oldest and the newest `ts` among the batch's accepted
   * events. An app flushing an offline backlog sends hundreds of events spanning hours in one
   * minute; a script pumping events sends them spanning seconds: detectors read the rate at
   * which the events happened, not only the rate at which they arrive.
   */
  'telemetry.ingested': SessionEventBase & { accepted: number; rejected: number; ts_span_s?: number };
}

export type EventName = keyof DomainEvents;

export type DomainEvent = { [K in EventName]: { type: K } & DomainEvents[K] }[EventName];
