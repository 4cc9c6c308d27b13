import { type Client, type ClientCache, cachedClient } from '../clients/index.js';
import type { CoreConfig } from '../config/index.js';
import { newId } from '../crypto/ids.js';
import type { Keyring } from '../crypto/keyring.js';
import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import { type AccessTokens, type RequestFacts, resolveAudience, resolveScope, scopeRefusedEmitter } from '../oauth/index.js';
import type { Store } from '../storage/database.js';
import { sessionError } from './error-codes.js';
import { applyMergePatch, checkMetadata, mappedClaims } from './metadata.js';
import { openSessionToken, sealSessionToken, type SessionIdentity, type SessionTokenPayload } from './session-token.js';
import { judgeGeneration, type GenerationVerdict } from './generation.js';
import { allowedScopes, scopeAtRefresh } from './scope.js';
import type { ErasedUserStore } from './erased-store.js';
import { SessionRevoker, type RevocationReason } from './revoker.js';
import type { SessionRecord, SessionSeed, SessionStore } from './store.js';
import type { CreateSessionInput, GuestTokenResponse, SessionPresentation } from './types.js';
import { LAST_SEEN_PRECISION_MS, type Metadata, type UserRecord, type UserStore } from './user-store.js';

/** The refusal of a session token whose user was erased (refresh and every other use alike). */
const erasedUser = () => sessionError('SESSION_REVOKED', 'This user was deleted; start a new session with POST /anonymous/token.');

/** A user id a confidential client may bring: a UUID or 1–128 of [A-Za-z0-9._-]. */
const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface GuestSessionServiceOptions {
  sessions: SessionStore;
  users: UserStore;
  /** Seals and opens session tokens. */
  keyring: Keyring;
  /** oauth's, for the access token that comes with every session token. */
  accessTokens: Pick<AccessTokens, 'issue'>;
  /** The client of a session token presented without one (resource endpoints). */
  clientCache: Pick<ClientCache, 'lookup'>;
  events: EventBus;
  /** Revocations stage `session.revoked` through it, in the transaction they are written in. */
  outbox: Pick<Outbox, 'stage'>;
  database: Pick<Store, 'db'>;
  issuer: () => string;
  now: () => number;
  config: Pick<CoreConfig, 'accessTokenTtl'>;
  /** The denylist of erased users: their tokens are refused, sessions without a row included. */
  erased: Pick<ErasedUserStore, 'has'>;
}

/**
 * Guest sessions: creation (no database write unless metadata comes along), refresh with
 * rotation and reuse detection (RFC 9700 §4.14.2), revocation. Routes gather the request
 * facts (client, DPoP key, network); this service decides.
 */
export class GuestSessionService {
  /** The one way any feature ends a session early (admin API, accounts, containment). */
  readonly revocations: SessionRevoker;
  private readonly deps: GuestSessionServiceOptions;
  private readonly sessions: SessionStore;
  private readonly users: UserStore;

  constructor(deps: GuestSessionServiceOptions) {
    this.deps = deps;
    this.sessions = deps.sessions;
    this.users = deps.users;
    this.revocations = new SessionRevoker({ store: deps.sessions, db: deps.database.db, outbox: deps.outbox, now: deps.now });
  }

  async create(facts: RequestFacts, input: CreateSessionInput): Promise<GuestTokenResponse> {
    const { client } = facts;
    if (!client.guest.enabled) throw sessionError('GUESTS_DISABLED');
    const { userId, existing } = await this.chooseUser(client, input.userId);
    const metadata = input.metadata === undefined ? undefined : checkMetadata(client, input.metadata);
    const payload = this.newSession(facts, input, userId, true);
    // Principle 1: a visitor costs a signature, not a row, unless it brings metadata.
    const stored = metadata === undefined ? undefined : await this.writeInitialMetadata(payload, metadata, facts);
    if (existing && metadata === undefined) await this.noteReturningGuest(existing, payload, facts);
    this.deps.events.emit('session.created', { ...this.eventBase(payload, facts), is_anonymous: true, new_user: input.userId === undefined });
    return this.respond(client, payload, stored);
  }

  /**
   * A new session for an existing user, guest or registered: after a login, a verification
   * or an ID-token link. The same token shapes as a guest session; `is_anonymous` and mapped
   * claims come from the user's row, and its scopes from the client's user scopes for a
   * registered user (guest scopes for a guest). The row is written at once: a registered
   * user's session is worth listing and revoking from the start. A session started by a guest
   * transfer code names the session that made the code (`session.transferred`).
   */
  async startForUser(
    facts: RequestFacts,
    user: { id: string; isAnonymous: boolean; metadata: Metadata },
    input: Pick<CreateSessionInput, 'scope' | 'audience' | 'resource'> = {},
    { transferredFrom }: { transferredFrom?: string } = {},
  ): Promise<GuestTokenResponse> {
    const payload = this.newSession(facts, input, user.id, user.isAnonymous);
    await this.sessions.ensure(this.seed(payload, facts));
    await this.users.touch(user.id, this.deps.now());
    // Before session.created: a detector that follows the user reads the new device's place as
    // the same person's second device, not as the user jumping there (impossible travel).
    if (transferredFrom) this.deps.events.emit('session.transferred', { ...this.eventBase(payload, facts), from_session_id: transferredFrom });
    this.deps.events.emit('session.created', { ...this.eventBase(payload, facts), is_anonymous: user.isAnonymous, new_user: false });
    return this.respond(facts.client, payload, user.metadata, user.isAnonymous);
  }

  /**
   * A new session of a stored user that another device vouched for minutes ago (a guest
   * transfer code, an approved RFC 8628 device code), from the user's row: undefined, and
   * nothing started, when the user was erased or merged into an account meanwhile (its
   * sessions are over, and a session for a missing row would revive it as an empty guest).
   */
  async startForStoredUser(
    facts: RequestFacts,
    userId: string,
    input: Pick<CreateSessionInput, 'scope' | 'audience' | 'resource'> = {},
    options: { transferredFrom?: string } = {},
  ): Promise<GuestTokenResponse | undefined> {
    const [user, erased] = await Promise.all([this.users.get(userId), this.deps.erased.has(userId)]);
    if (!user || erased || user.mergedInto) return undefined;
    return this.startForUser(facts, { id: user.id, isAnonymous: user.isAnonymous, metadata: user.metadata }, input, options);
  }

  private newSession(
    facts: RequestFacts,
    input: Pick<CreateSessionInput, 'scope' | 'audience' | 'resource'>,
    userId: string,
    isAnonymous: boolean,
  ): SessionTokenPayload {
    const { client } = facts;
    if (client.guest.requireDpop && !facts.dpopJkt) throw sessionError('DPOP_REQUIRED');
    const refused = scopeRefusedEmitter(
      this.deps.events,
      () => ({ time: this.deps.now(), client_id: client.id, subject: userId, ...(facts.network ? { network: facts.network } : {}) }),
      isAnonymous ? 'guest_session' : 'user_session',
    );
    const scope = resolveScope(input.scope, allowedScopes(client, isAnonymous), refused);
    const namedScope = input.scope !== undefined && input.scope.trim() !== '';
    const audience = resolveAudience(input, client, this.deps.issuer());
    const nowSeconds = Math.floor(this.deps.now() / 1000);
    return {
      uid: userId,
      sid: newId(),
      cid: client.id,
      ct: nowSeconds,
      iat: nowSeconds,
      exp: nowSeconds + client.guest.sessionTtl,
      gen: 0,
      scope,
      aud: audience,
      ...(namedScope ? {} : { ds: true as const }),
      ...(facts.dpopJkt ? { jkt: facts.dpopJkt } : {}),
    };
  }

  /**
   * Exchanges a session token for new tokens. The generation advances by one atomic
   * compare-and-set; an older token revokes the session; the immediate predecessor within
   * the client's grace window gets the current generation again without a new rotation.
   */
  async refresh(facts: RequestFacts, sessionToken: string): Promise<GuestTokenResponse> {
    const payload = this.open(sessionToken);
    await this.checkClient(payload, facts.client, facts);
    this.checkLifetime(payload, facts.client);
    this.checkBinding(payload, facts.dpopJkt, facts);
    if (!payload.jkt && facts.client.guest.requireDpop) throw sessionError('DPOP_REQUIRED');
    // Two independent reads on every refresh: wait for one round trip, not two in a row.
    const [erased, user] = await Promise.all([this.deps.erased.has(payload.uid), this.users.get(payload.uid)]);
    if (erased) throw erasedUser();

    const now = this.deps.now();
    const generation = await this.rotate(payload, this.seed(payload, facts), facts, now);
    if (user && user.lastSeenAt < now - LAST_SEEN_PRECISION_MS) await this.users.touch(user.id, now);
    if (user?.mergedInto) {
      // A session of a merged guest that never had a row escaped the merge's revocation.
      await this.revoke(payload, 'merged', facts);
      throw sessionError('SESSION_REVOKED', 'This guest was merged into an account; sign in to that account to continue.');
    }
    const isAnonymous = user ? user.isAnonymous : true;
    const scope = scopeAtRefresh(payload, facts.client, isAnonymous);
    const next: SessionTokenPayload = { ...payload, iat: Math.floor(now / 1000), gen: generation, scope };
    this.deps.events.emit('session.refreshed', { ...this.eventBase(next, facts), generation, is_anonymous: isAnonymous });
    return this.respond(facts.client, next, user?.metadata, isAnonymous);
  }

  /**
   * The one check of a session token used anywhere but at refresh (reading and writing the
   * session, conversion, sign-up, login, revocation): sealed by us, owned by the presenting
   * client, within its lifetimes, proven with its DPoP key when bound, and of the current
   * generation by the same rule as refresh: the immediate predecessor within the client's
   * `refresh_grace` passes, anything older is reuse and revokes the session. It does not
   * rotate. Every route reaches a session token's contents only through here or `refresh`.
   */
  async authenticate(sessionToken: string, presentation: SessionPresentation): Promise<SessionTokenPayload> {
    const payload = this.open(sessionToken);
    const owner = presentation.client ?? (await cachedClient(this.deps.clientCache, payload.cid).catch(() => undefined));
    if (!owner) throw sessionError('SESSION_REVOKED', 'The client of this session no longer exists.');
    await this.checkClient(payload, owner, presentation);
    this.checkLifetime(payload, owner);
    this.checkBinding(payload, await presentation.proveKey(payload), presentation);
    await this.refuseErased(payload);
    const record = await this.sessions.get(payload.sid);
    const verdict = judgeGeneration(payload.gen, record, owner.guest.refreshGrace * 1000, this.deps.now());
    if (verdict !== 'current' && verdict !== 'grace') await this.refuse(verdict, payload, record, presentation);
    return payload;
  }

  /**
   * Who a session token names, without authenticating it: for containment, which can only
   * refuse on it. Grants nothing, so it returns ids only.
   */
  identify(sessionToken: string): Pick<SessionIdentity, 'sid' | 'uid' | 'cid'> | undefined {
    const payload = openSessionToken(this.deps.keyring, sessionToken);
    return payload && { sid: payload.sid, uid: payload.uid, cid: payload.cid };
  }

  /** Revokes the session of a session token (RFC 7009, logout). */
  async revokeToken(
    payload: SessionIdentity,
    reason: Extract<RevocationReason, 'logout' | 'revoked_by_client'>,
    facts: Pick<RequestFacts, 'network'>,
  ): Promise<void> {
    await this.revoke(payload, reason, facts);
  }

  private open(sessionToken: string): SessionTokenPayload {
    const payload = openSessionToken(this.deps.keyring, sessionToken);
    if (!payload) throw sessionError('INVALID_SESSION_TOKEN');
    return payload;
  }

  /** RFC 6749 §6: a session token is a credential of its own client only; another client's use of it revokes it. */
  private async checkClient(payload: SessionTokenPayload, client: Client, facts: Pick<RequestFacts, 'network'>): Promise<void> {
    if (payload.cid === client.id) return;
    await this.revoke(payload, 'client_mismatch', facts);
    this.deps.events.emit('session.client_mismatch', { ...this.eventBase(payload, facts), client_id: client.id, session_client_id: payload.cid });
    throw sessionError('SESSION_CLIENT_MISMATCH');
  }

  /** A bound session needs a proof made with its key on every use (RFC 9449 §5, §7). */
  private checkBinding(payload: SessionTokenPayload, provenJkt: string | undefined, facts: Pick<RequestFacts, 'network'>): void {
    if (!payload.jkt || provenJkt === payload.jkt) return;
    // A bound session token with another key's proof: the token left its key (RFC 9449 §1).
    if (provenJkt) this.deps.events.emit('dpop.key_mismatch', { ...this.eventBase(payload, facts), expected_jkt: payload.jkt, presented_jkt: provenJkt });
    throw sessionError('DPOP_REQUIRED', 'This session is bound to a DPoP key: send a DPoP proof made with that same key (RFC 9449 §5, §7).');
  }

  /** Ends a request whose generation did not pass; reuse also revokes the session (RFC 9700 §4.14.2). */
  private async refuse(
    verdict: GenerationVerdict,
    payload: SessionTokenPayload,
    record: SessionRecord | undefined,
    facts: Pick<RequestFacts, 'network'>,
  ): Promise<never> {
    if (verdict === 'reused') {
      await this.revoke(payload, 'token_reused', facts);
      this.deps.events.emit('token.reused', {
        ...this.eventBase(payload, facts),
        presented_generation: payload.gen,
        current_generation: record?.generation ?? 0,
      });
      throw sessionError('SESSION_TOKEN_REUSED');
    }
    throw sessionError(verdict === 'ahead' ? 'INVALID_SESSION_TOKEN' : 'SESSION_REVOKED');
  }

  private async rotate(payload: SessionTokenPayload, seed: SessionSeed, facts: RequestFacts, now: number): Promise<number> {
    const ipPrefix = facts.network?.ip_prefix ?? null;
    // A session's first refresh may create its row at generation 1 (of concurrent first
    // refreshes exactly one insert wins); a later token (gen ≥ 1) always has a row to advance.
    const rotated = await this.sessions.rotate({ id: payload.sid, from: payload.gen, now, ipPrefix, ...(payload.gen === 0 ? { seed } : {}) });
    if (rotated) return payload.gen + 1;

    const record = await this.sessions.get(payload.sid);
    const verdict = judgeGeneration(payload.gen, record, facts.client.guest.refreshGrace * 1000, now);
    if (verdict === 'grace' && record) return record.generation;
    // 'current' after a failed compare-and-set means the row changed under us (a revocation): refuse.
    return this.refuse(verdict === 'current' ? 'revoked' : verdict, payload, record, facts);
  }

  /**
   * An erased user's session may never have had a row to revoke: the denylist of erased ids
   * refuses it. Refresh reads the denylist itself, beside the user row, before its rotation
   * could write a row that names the user again.
   */
  private async refuseErased(payload: SessionTokenPayload): Promise<void> {
    if (await this.deps.erased.has(payload.uid)) throw erasedUser();
  }

  private checkLifetime(payload: SessionTokenPayload, client: Client): void {
    const nowSeconds = this.deps.now() / 1000;
    if (nowSeconds >= payload.exp) throw sessionError('SESSION_EXPIRED');
    if (nowSeconds - payload.iat > client.guest.idleTimeout) {
      throw sessionError('SESSION_EXPIRED', `The session was idle for more than ${client.guest.idleTimeout} s and has expired; start a new one.`);
    }
  }

  /** Revokes the session of a token the request presented: its network goes with the event. */
  private async revoke(payload: SessionIdentity, reason: RevocationReason, facts: Pick<RequestFacts, 'network'>): Promise<void> {
    await this.revocations.revoke(this.seed(payload, facts), reason, { network: facts.network });
  }

  private async chooseUser(client: Client, requested: string | undefined): Promise<{ userId: string; existing?: UserRecord }> {
    if (requested === undefined) return { userId: newId() };
    if (client.type !== 'confidential') throw sessionError('USER_ID_NOT_ALLOWED');
    if (!USER_ID.test(requested)) throw sessionError('USER_ID_NOT_ALLOWED', 'user_id must be a UUID or 1–128 characters of A–Z, a–z, 0–9, ".", "_" and "-".');
    const existing = await this.users.get(requested);
    if (existing && !existing.isAnonymous) throw sessionError('USER_ID_TAKEN');
    return existing ? { userId: requested, existing } : { userId: requested };
  }

  /**
   * A new session for a guest that has a row (a brought user_id) counts as activity, so the cull
   * keeps the row while the session may live. A session of another client than the one that
   * created the guest lives by that client's lifetime, which the guest's own retention does not
   * cover: its row is written now, so the cull sees it.
   */
  private async noteReturningGuest(existing: UserRecord, payload: SessionTokenPayload, facts: RequestFacts): Promise<void> {
    const now = this.deps.now();
    if (existing.lastSeenAt < now - LAST_SEEN_PRECISION_MS) await this.users.touch(existing.id, now);
    if (existing.createdByClient !== payload.cid) await this.sessions.ensure(this.seed(payload, facts));
  }

  /**
   * Metadata sent at creation. A brought user_id may already have metadata: the new values
   * are merged in (RFC 7396), as a PATCH would, rather than wiping it. Returns the result.
   */
  private async writeInitialMetadata(payload: SessionTokenPayload, metadata: Metadata, facts: RequestFacts): Promise<Metadata> {
    const now = this.deps.now();
    await this.users.ensureGuest(payload.uid, payload.cid, now);
    await this.sessions.ensure(this.seed(payload, facts));
    let merged = metadata;
    await this.users.updateMetadata(payload.uid, now, (current) => (merged = checkMetadata(facts.client, applyMergePatch(current, metadata))));
    return merged;
  }

  private respond(client: Client, payload: SessionTokenPayload, metadata: Metadata | undefined, isAnonymous = true): GuestTokenResponse {
    const nowSeconds = Math.floor(this.deps.now() / 1000);
    const sessionExpiresIn = payload.exp - nowSeconds;
    const ttlSeconds = Math.min(client.accessTokenTtl ?? this.deps.config.accessTokenTtl, sessionExpiresIn);
    const issued = this.deps.accessTokens.issue({
      subject: payload.uid,
      clientId: client.id,
      audience: payload.aud,
      scope: payload.scope,
      ttlSeconds,
      claims: {
        ...mappedClaims(client, metadata),
        sid: payload.sid,
        // RFC 9068 §2.2.1: for a guest, the session's creation is its authentication event.
        auth_time: payload.ct,
        is_anonymous: isAnonymous,
        ...(payload.jkt ? { cnf: { jkt: payload.jkt } } : {}),
      },
    });
    const sessionToken = sealSessionToken(this.deps.keyring, payload);
    return {
      access_token: issued.token,
      token_type: payload.jkt ? 'DPoP' : 'Bearer',
      expires_in: issued.expiresIn,
      ...(payload.scope ? { scope: payload.scope } : {}),
      session_token: sessionToken,
      refresh_token: sessionToken,
      session_expires_in: sessionExpiresIn,
      user_id: payload.uid,
      session_id: payload.sid,
    };
  }

  private seed(payload: SessionIdentity & { gen?: number }, facts: Pick<RequestFacts, 'network'>): SessionSeed {
    return {
      id: payload.sid,
      userId: payload.uid,
      clientId: payload.cid,
      generation: payload.gen ?? 0,
      createdAt: payload.ct * 1000,
      expiresAt: payload.exp * 1000,
      dpopJkt: payload.jkt ?? null,
      ipPrefix: facts.network?.ip_prefix ?? null,
    };
  }

  private eventBase(payload: SessionIdentity, facts: Pick<RequestFacts, 'network'>) {
    return {
      time: this.deps.now(),
      client_id: payload.cid,
      subject: payload.uid,
      session_id: payload.sid,
      ...(facts.network ? { network: facts.network } : {}),
    };
  }
}
