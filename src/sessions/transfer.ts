import { type ClientCache, cachedClient, MAX_SESSION_TTL_SECONDS } from '../clients/index.js';
import { newId } from '../crypto/ids.js';
import { hashShortCode, insertNewShortCode, normalizeShortCode } from '../crypto/short-codes.js';
import type { NetworkInfo } from '../events/types.js';
import type { RequestFacts } from '../oauth/index.js';
import type { SessionCaller } from './credentials.js';
import { sessionError } from './error-codes.js';
import type { SessionsConfig } from './options.js';
import type { SessionRevoker } from './revoker.js';
import type { GuestSessionService } from './service.js';
import type { SessionStore } from './store.js';
import type { TransferCodeStore } from './transfer-store.js';
import type { GuestTokenResponse } from './types.js';
import type { UserStore } from './user-store.js';

/** The answer of POST /anonymous/transfer. */
export interface TransferCodeResponse {
  /** Eight letters, XXXX-XXXX, to type on the other device. */
  transfer_code: string;
  expires_in: number;
  /** `url` with the code in its fragment (which never reaches a server log), when one was given. */
  transfer_url?: string;
  /** What to show as a QR code: the transfer URL, or else the code itself. */
  qr_payload: string;
}

/** One of the user's live sessions, as GET /anonymous/session lists them. */
export interface UserSessionView {
  session_id: string;
  client_id: string | null;
  created_at: number;
  last_refreshed_at: number | null;
  expires_at: number;
  /** The session of the request. */
  current: boolean;
  /** The session whose transfer code started this one, if a transfer did. */
  transferred_from: string | null;
}

export interface GuestTransfersDeps {
  codes: TransferCodeStore;
  sessions: SessionStore;
  users: UserStore;
  service: Pick<GuestSessionService, 'startForStoredUser'>;
  revocations: Pick<SessionRevoker, 'revoke'>;
  clientCache: Pick<ClientCache, 'lookup'>;
  /** Keys the code hashes (HKDF of the master key). */
  codeKey: Buffer;
  now: () => number;
  config: Pick<SessionsConfig, 'transferCodeTtl'>;
}

/**
 * Guest transfer codes: a guest on one device makes a short single-use code; another device
 * presents it to POST /anonymous/token and gets a new session of the same user (same id, same
 * metadata). The first device sees the new session in its list and may end it. Codes are stored
 * as keyed hashes and redeemed by one conditional update.
 */
export class GuestTransfers {
  constructor(private readonly deps: GuestTransfersDeps) {}

  async create(caller: SessionCaller, input: { url?: string | undefined }, network: NetworkInfo | undefined): Promise<TransferCodeResponse> {
    const { session } = caller;
    const client = await cachedClient(this.deps.clientCache, session.cid);
    if (!client.guest.transferCodes) throw sessionError('TRANSFER_DISABLED');
    const url = input.url === undefined ? undefined : allowedUrl(input.url, client.allowedOrigins);
    const now = this.deps.now();
    await this.deps.codes.purgeExpired(now, MAX_SESSION_TTL_SECONDS * 1000);
    // The code's session and user get rows now: the first device must be able to list and
    // revoke what the code starts, and the cull must see the guest as alive.
    await this.deps.users.ensureGuest(session.uid, session.cid, now);
    await this.deps.sessions.ensure({
      id: session.sid,
      userId: session.uid,
      clientId: session.cid,
      generation: 0,
      createdAt: session.ct * 1000,
      expiresAt: session.exp * 1000,
      dpopJkt: session.jkt ?? null,
      ipPrefix: network?.ip_prefix ?? null,
    });
    const ttl = this.deps.config.transferCodeTtl;
    const code = await insertNewShortCode(
      this.deps.codeKey,
      (codeHash) =>
        this.deps.codes.insert({
          id: newId(),
          codeHash,
          clientId: client.id,
          userId: session.uid,
          fromSessionId: session.sid,
          createdAt: now,
          expiresAt: now + ttl * 1000,
        }),
      'transfer code',
    );
    const transferUrl = url && `${url.split('#')[0]}#transfer_code=${code}`;
    return { transfer_code: code, expires_in: ttl, ...(transferUrl ? { transfer_url: transferUrl } : {}), qr_payload: transferUrl ?? code };
  }

  /**
   * POST /anonymous/token with `transfer_code`: uses the code up, then starts a session of its
   * user for the presenting client (which must be the code's). A code whose session has ended,
   * or whose user was merged or erased meanwhile, starts nothing.
   */
  async redeem(facts: RequestFacts, typed: string): Promise<GuestTokenResponse> {
    if (!facts.client.guest.transferCodes) throw sessionError('TRANSFER_DISABLED');
    const code = normalizeShortCode(typed);
    const now = this.deps.now();
    const redeemed = code ? await this.deps.codes.redeem(hashShortCode(this.deps.codeKey, code), facts.client.id, now) : undefined;
    if (!redeemed) throw sessionError('TRANSFER_CODE_INVALID');
    const source = await this.deps.sessions.get(redeemed.fromSessionId);
    if (!source || source.revokedAt !== null || source.expiresAt <= now) throw sessionError('TRANSFER_SOURCE_ENDED');
    const response = await this.deps.service.startForStoredUser(facts, redeemed.userId, {}, { transferredFrom: redeemed.fromSessionId });
    if (!response) throw sessionError('TRANSFER_SOURCE_ENDED');
    await this.deps.codes.noteSession(redeemed.id, response.session_id);
    return response;
  }

  /** The user's live stored sessions, and the caller's own even when it has no row yet. */
  async listSessions(caller: SessionCaller): Promise<UserSessionView[]> {
    const { session } = caller;
    const now = this.deps.now();
    const records = (await this.deps.sessions.listByUser(session.uid)).filter((record) => record.revokedAt === null && record.expiresAt > now);
    const origins = await this.deps.codes.origins(records.map((record) => record.id));
    const views = records.map(
      (record): UserSessionView => ({
        session_id: record.id,
        client_id: record.clientId,
        created_at: record.createdAt,
        last_refreshed_at: record.lastRefreshedAt,
        expires_at: record.expiresAt,
        current: record.id === session.sid,
        transferred_from: origins.get(record.id) ?? null,
      }),
    );
    if (!views.some((view) => view.current)) {
      views.unshift({
        session_id: session.sid,
        client_id: session.cid,
        created_at: session.ct * 1000,
        last_refreshed_at: null,
        expires_at: session.exp * 1000,
        current: true,
        transferred_from: null,
      });
    }
    return views;
  }

  /** Ends another live session of the caller's own user (the first device ending a transferred one). */
  async revokeOther(caller: SessionCaller, sessionId: string): Promise<void> {
    const record = await this.deps.sessions.get(sessionId);
    if (!record || record.userId !== caller.session.uid || record.revokedAt !== null) throw sessionError('SESSION_NOT_OURS');
    await this.deps.revocations.revoke({ id: record.id }, 'revoked_by_user');
  }
}

/** An http(s) URL on one of the client's origins: a QR code must not send a guest's code elsewhere. */
function allowedUrl(raw: string, origins: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw sessionError('TRANSFER_URL_NOT_ALLOWED');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !origins.includes(url.origin)) {
    throw sessionError('TRANSFER_URL_NOT_ALLOWED', `url must be on one of the client’s allowed origins (${origins.join(', ') || 'none set'}).`);
  }
  return url.href;
}
