import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { loginAccountRule, loginIpRule, type LoginLimits } from '../accounts/index.js';
import { openWithMasterKey, sealWithMasterKey } from '../crypto/aead.js';
import { newId } from '../crypto/ids.js';
import { hashSecret } from '../crypto/secrets.js';
import type { EventBus } from '../events/bus.js';
import type { NetworkInfo } from '../events/types.js';
import { enforceRateLimits, type RateLimitStore } from '../ratelimit/index.js';
import { GuestpassError } from '../shared/errors.js';
import { operatorError } from './error-codes.js';
import type { ConsoleSessionRecord, ConsoleSessionStore } from './session-store.js';
import type { Operator, OperatorRole, OperatorStore } from './store.js';
import { newTotpSecret, totpStep, totpUri } from './totp.js';
import type { OperatorAccounts, OperatorView } from './types.js';

/** Activity is written at most this often per session: the idle clock is this coarse, and reads stay cheap. */
const TOUCH_EVERY_MS = 60_000;
/** Sessions the purge deletes per statement. */
const PURGE_BATCH = 1000;
/** Looked up when the password was wrong, so every failure costs the same queries. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

export interface OperatorServiceOptions {
  operators: OperatorStore;
  sessions: ConsoleSessionStore;
  accounts: () => OperatorAccounts;
  events: EventBus;
  rateLimits: RateLimitStore;
  loginLimits: LoginLimits;
  now: () => number;
  issuer: () => string;
  /** Seals TOTP secrets at rest (derived from the master key). */
  totpKey: Buffer;
  /** Keys the CSRF token of a session (derived from the master key, so every node agrees). */
  csrfKey: Buffer;
  idleTimeoutMs: number;
  lifetimeMs: number;
}

export interface SignInInput {
  email: string;
  password: string;
  totpCode?: string | undefined;
  /** The caller's address, for the per-IP limit (never stored). */
  ip: string;
  network?: NetworkInfo | undefined;
}

/** A console session as the routes and the access check use it. */
export interface ConsoleSession {
  id: string;
  operator: OperatorView;
  expiresAt: number;
}

const sealContext = (userId: string) => `operator totp ${userId}`;

export function operatorView(operator: Pick<Operator, 'userId' | 'role' | 'totpEnabled'>): OperatorView {
  return { id: operator.userId, role: operator.role, totp_enabled: operator.totpEnabled };
}

/**
 * Console operators: who they are (`guestpass admins`), signing in with an account's password
 * and an optional TOTP code, console sessions with idle and absolute ends, and TOTP enrolment.
 */
export class OperatorService {
  constructor(private readonly options: OperatorServiceOptions) {}

  get idleTimeoutSeconds(): number {
    return Math.floor(this.options.idleTimeoutMs / 1000);
  }

  // ── guestpass admins ─────────────────────────────────────────────────────────────────────

  /** Gives the registered account at `email` the role; says whether it was new or changed. */
  async add(email: string, role: OperatorRole): Promise<{ userId: string; previousRole: OperatorRole | undefined }> {
    const account = await this.options.accounts().findRegistered(email);
    if (!account) throw operatorError('ACCOUNT_NOT_REGISTERED');
    const previousRole = await this.options.operators.grant(account.id, role, this.options.now());
    if (previousRole !== role) this.options.events.emit('operator.added', { time: this.options.now(), subject: account.id, role });
    return { userId: account.id, previousRole };
  }

  /** Takes the role away from the account at `email` (an operator id works too), ending its console sessions. */
  async remove(emailOrId: string): Promise<string> {
    const account = await this.options.accounts().findRegistered(emailOrId);
    const userId = account?.id ?? emailOrId;
    if (!(await this.options.operators.remove(userId))) throw operatorError('NOT_AN_OPERATOR');
    this.options.events.emit('operator.removed', { time: this.options.now(), subject: userId });
    return userId;
  }

  list(): Promise<Operator[]> {
    return this.options.operators.list();
  }

  // ── signing in and out ───────────────────────────────────────────────────────────────────

  /**
   * POST /admin/api/session. Unknown address, wrong password and an account that is not an
   * operator answer the same access_denied after the same work (one argon2 verification, the
   * same lookups): the console does not say which addresses are registered or which are
   * operators. Only a right password of an operator with TOTP learns that a code is needed.
   */
  async signIn(input: SignInInput): Promise<{ token: string; session: ConsoleSession }> {
    const { events, now, rateLimits, loginLimits } = this.options;
    const accounts = this.options.accounts();
    const accountKey = accounts.accountKeyOfTyped(input.email);
    const failed = (reason: 'bad_credentials' | 'not_operator' | 'totp_invalid' | 'throttled', subject?: string) => {
      events.emit('operator.sign_in_failed', {
        time: now(),
        account_key: accountKey,
        reason,
        ...(subject ? { subject } : {}),
        ...(input.network ? { network: input.network } : {}),
      });
    };
    try {
      await enforceRateLimits(rateLimits, [loginIpRule(loginLimits, input.ip), loginAccountRule(loginLimits, accountKey)]);
    } catch (error) {
      if (error instanceof GuestpassError && error.status === 429) failed('throttled');
      throw error;
    }
    const account = await accounts.checkPassword(input.email, input.password);
    const operator = await this.options.operators.get(account?.id ?? NOBODY);
    if (!account || !operator) {
      failed(account ? 'not_operator' : 'bad_credentials', account?.id);
      throw operatorError('SIGN_IN_DENIED');
    }
    if (operator.totpEnabled) {
      if (input.totpCode === undefined) throw operatorError('MFA_REQUIRED');
      if (!(await this.useCode(operator, input.totpCode))) {
        failed('totp_invalid', operator.userId);
        throw operatorError('SIGN_IN_DENIED');
      }
    }
    const token = randomBytes(32).toString('base64url');
    const at = now();
    const id = newId();
    const expiresAt = at + this.options.lifetimeMs;
    await this.options.sessions.create({
      id,
      token_hash: hashSecret(token),
      user_id: operator.userId,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt,
    });
    events.emit('operator.signed_in', {
      time: at,
      subject: operator.userId,
      account_key: accountKey,
      totp: operator.totpEnabled,
      ...(input.network ? { network: input.network } : {}),
    });
    return { token, session: { id, operator: operatorView(operator), expiresAt } };
  }

  /**
   * The live session a console cookie's token names, or undefined: unknown, signed out, idle
   * past the timeout, past its absolute end, or its operator removed. Slides the idle timeout
   * (written at most once a minute).
   */
  async authenticate(token: string): Promise<ConsoleSession | undefined> {
    const record = await this.options.sessions.findByTokenHash(hashSecret(token));
    const at = this.options.now();
    if (!record || !this.isLive(record, at)) return undefined;
    if (at - record.lastSeenAt >= TOUCH_EVERY_MS) await this.options.sessions.touch(record.id, at, at - TOUCH_EVERY_MS + 1);
    return { id: record.id, operator: { id: record.userId, role: record.role, totp_enabled: record.totpEnabled }, expiresAt: record.expiresAt };
  }

  private isLive(record: ConsoleSessionRecord, at: number): boolean {
    return at < record.expiresAt && at - record.lastSeenAt < this.options.idleTimeoutMs;
  }

  /** DELETE /admin/api/session. */
  async signOut(session: ConsoleSession): Promise<void> {
    await this.options.sessions.delete(session.id);
    this.options.events.emit('operator.signed_out', { time: this.options.now(), subject: session.operator.id });
  }

  /** The session's CSRF token: an HMAC of its id, the same on every node, never stored. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.options.csrfKey).update(`console csrf ${sessionId}`).digest('base64url');
  }

  /** Constant-time comparison of a presented X-CSRF-Token with the session's. */
  csrfMatches(sessionId: string, presented: string): boolean {
    const expected = Buffer.from(this.csrfToken(sessionId));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Ends every console session of a user (a password reset, an erasure). */
  endSessionsOf(userId: string): Promise<number> {
    return this.options.sessions.deleteOfUser(userId);
  }

  /** Forgets an erased person's operator role and sessions. */
  async forget(userId: string): Promise<void> {
    await this.options.operators.remove(userId);
  }

  /** Deletes expired and idle sessions in batches; returns how many. */
  async purgeExpired(): Promise<number> {
    const at = this.options.now();
    let purged = 0;
    for (;;) {
      const batch = await this.options.sessions.purgeExpired(at, at - this.options.idleTimeoutMs, PURGE_BATCH);
      purged += batch;
      if (batch < PURGE_BATCH) return purged;
    }
  }

  // ── TOTP (RFC 6238) ──────────────────────────────────────────────────────────────────────

  /** Starts an enrolment: a new pending secret, shown once, until a code made with it is confirmed. */
  async startTotp(userId: string): Promise<{ secret: string; otpauthUri: string }> {
    const secret = newTotpSecret();
    if (!(await this.options.operators.startTotp(userId, sealWithMasterKey(this.options.totpKey, secret, sealContext(userId)), this.options.now())))
      throw operatorError('TOTP_ALREADY_ENABLED');
    const issuerHost = new URL(this.options.issuer()).host;
    return { secret, otpauthUri: totpUri(secret, { issuer: `Guestpass ${issuerHost}`, label: userId }) };
  }

  /** Turns on the pending secret with a code made from it. */
  async confirmTotp(userId: string, code: string): Promise<void> {
    const operator = await this.options.operators.get(userId);
    if (!operator?.totpSecretSealed || operator.totpEnabled) throw operatorError(operator?.totpEnabled ? 'TOTP_ALREADY_ENABLED' : 'TOTP_NOT_ENROLLING');
    const at = this.options.now();
    const step = totpStep(this.secretOf(operator), code, at);
    if (step === undefined || !(await this.options.operators.confirmTotp(userId, operator.totpSecretSealed, step, at)))
      throw operatorError('TOTP_CODE_REJECTED');
    this.options.events.emit('operator.totp_enabled', { time: at, subject: userId });
  }

  /** Turns TOTP off, proven with a current code. */
  async disableTotp(userId: string, code: string): Promise<void> {
    const operator = await this.options.operators.get(userId);
    if (!operator?.totpEnabled || !operator.totpSecretSealed) throw operatorError('TOTP_NOT_ENABLED');
    const at = this.options.now();
    const step = totpStep(this.secretOf(operator), code, at);
    if (step === undefined || !(await this.options.operators.disableTotp(userId, step, at))) throw operatorError('TOTP_CODE_REJECTED');
    this.options.events.emit('operator.totp_disabled', { time: at, subject: userId });
  }

  /** Checks a sign-in code and uses its step up: true once per code. */
  private async useCode(operator: Operator, code: string): Promise<boolean> {
    const at = this.options.now();
    const step = totpStep(this.secretOf(operator), code, at);
    return step !== undefined && (await this.options.operators.useStep(operator.userId, step, at));
  }

  private secretOf(operator: Operator): string {
    return openWithMasterKey(this.options.totpKey, operator.totpSecretSealed ?? '', sealContext(operator.userId));
  }
}
