import { type ClientCache, cachedClient } from '../clients/index.js';
import type { EventBus } from '../events/bus.js';
import type { NetworkInfo } from '../events/types.js';
import type { SessionCaller } from './credentials.js';
import { sessionError } from './error-codes.js';
import { applyMergePatch, checkMetadata } from './metadata.js';
import type { SessionStore } from './store.js';
import type { UserSessionView } from './transfer.js';
import type { UserRecord, UserStore } from './user-store.js';

/** What reading and writing a session's metadata takes. */
export interface SessionDataDeps {
  users: UserStore;
  sessions: SessionStore;
  clientCache: Pick<ClientCache, 'lookup'>;
  events: EventBus;
  now: () => number;
}

export interface SessionView {
  user_id: string;
  session_id: string;
  is_anonymous: boolean;
  /** Epoch milliseconds, like every timestamp in Guestpass's JSON APIs. */
  created_at: number;
  expires_at: number;
  /**
   * The scope the caller's credential carries, space-separated as in OAuth: the access token's
   * `scope` claim, or the scope the session token grants. A guest's session token that lived on
   * through a promotion in place shows the guest scope until its next refresh grants the user
   * scopes.
   */
  scope: string;
  metadata: Record<string, unknown>;
  /**
   * GET /anonymous/session only: the user's live sessions, this one included, each with the
   * session whose transfer code started it, so a device can see and end the others.
   */
  sessions?: UserSessionView[];
}

export interface SessionData {
  view: SessionView;
  /** Strong ETag of the metadata version (RFC 9110 §8.8.3). */
  etag: string;
}

const etagOf = (version: number) => `"${version}"`;

/** The caller's session and its user's metadata. */
export async function readSessionData(deps: Pick<SessionDataDeps, 'users'>, caller: SessionCaller): Promise<SessionData> {
  return sessionData(caller, await deps.users.get(caller.session.uid));
}

/** The view of a session and its user's metadata (a user without a row has none yet). */
function sessionData(caller: SessionCaller, user: Pick<UserRecord, 'metadata' | 'metadataVersion' | 'isAnonymous'> | undefined): SessionData {
  return {
    view: {
      user_id: caller.session.uid,
      session_id: caller.session.sid,
      is_anonymous: user ? user.isAnonymous : true,
      created_at: caller.session.ct * 1000,
      expires_at: caller.session.exp * 1000,
      scope: caller.session.scope,
      metadata: user?.metadata ?? {},
    },
    etag: etagOf(user?.metadataVersion ?? 0),
  };
}

export interface MetadataWrite {
  patch: unknown;
  /** The If-Match header as sent, or undefined. */
  ifMatch: string | undefined;
  network?: NetworkInfo;
}

/**
 * Applies a JSON Merge Patch (RFC 7396) to the user's metadata in one transaction. With
 * If-Match the write happens only on that exact version (412 otherwise, RFC 9110 §13.1.1);
 * without it, concurrent patches apply one after the other, so no update is lost. The first
 * write creates the user's and the session's rows.
 */
export async function writeMetadata(deps: SessionDataDeps, caller: SessionCaller, write: MetadataWrite): Promise<SessionData> {
  const client = await cachedClient(deps.clientCache, caller.session.cid);
  if (write.ifMatch === undefined && client.guest.requireIfMatch) throw sessionError('PRECONDITION_REQUIRED');
  const now = deps.now();
  await deps.users.ensureGuest(caller.session.uid, client.id, now);
  await deps.sessions.ensure({
    id: caller.session.sid,
    userId: caller.session.uid,
    clientId: caller.session.cid,
    generation: 0,
    createdAt: caller.session.ct * 1000,
    expiresAt: caller.session.exp * 1000,
    dpopJkt: caller.session.jkt ?? null,
    ipPrefix: write.network?.ip_prefix ?? null,
  });

  let bytes = 0;
  const user = await deps.users.updateMetadata(caller.session.uid, deps.now(), (current, currentVersion) => {
    if (write.ifMatch !== undefined && write.ifMatch !== '*' && write.ifMatch !== etagOf(currentVersion)) throw sessionError('PRECONDITION_FAILED');
    const next = checkMetadata(client, applyMergePatch(current, write.patch));
    bytes = Buffer.byteLength(JSON.stringify(next));
    return next;
  });
  if (user === undefined) throw sessionError('SESSION_REVOKED', 'The user of this session no longer exists.');
  deps.events.emit('session.metadata_updated', {
    time: deps.now(),
    client_id: caller.session.cid,
    subject: caller.session.uid,
    session_id: caller.session.sid,
    ...(write.network ? { network: write.network } : {}),
    metadata_bytes: bytes,
  });
  return sessionData(caller, user);
}
