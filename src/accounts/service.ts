import type { Kysely } from 'kysely';
import type { Client } from '../clients/index.js';
import { newId } from '../crypto/ids.js';
import type { EventBus } from '../events/bus.js';
import type { NetworkInfo } from '../events/types.js';
import type { RequestFacts } from '../oauth/index.js';
import type { RateLimitStore } from '../ratelimit/index.js';
import type { GuestTokenResponse, SessionsApi } from '../sessions/index.js';
import { type CarryOverContext, type CarryOverDeps, mergeGuest, promoteGuest, type GuestHandle } from './conversion.js';
import { accountKeyOf, normaliseEmail } from './email-address.js';
import { passwordResetMail, verificationMail, type Mailer, type MailContent } from './email/index.js';
import { AccountErasure } from './erasure.js';
import { accountError } from './error-codes.js';
import { checkPasswordPolicy, type PasswordHasher } from './passwords.js';
import { PROOF_TTL_MS, type EmailProofs, type Proof } from './proofs.js';
import type { AccountRecord, AccountStore } from './store.js';
import type { VerifiedIdentity } from './id-token/verifier.js';
import type { Database } from '../storage/schema.js';

/** Mails one address may receive per window (sign-up, conversion, reset together). */
const MAILS_PER_ADDRESS = 5;
const MAIL_WINDOW_MS = 15 * 60_000;

/** The one answer to sign-up, conversion and forgotten-password requests, whoever asks. */
export const MAIL_SENT_RESPONSE = {
  status: 'mail_sent',
  message: 'If this address can be used, a message with a code and a link is on its way. The code expires in 10 minutes.',
  expires_in: PROOF_TTL_MS / 1000,
} as const;

export interface AccountServiceOptions extends CarryOverDeps {
  events: EventBus;
  issuer: () => string;
  /** Counts the mails sent to one address. */
  rateLimits: Pick<RateLimitStore, 'hit'>;
  /** Sessions for the users that log in, and the end of them all at a password reset. */
  sessions: Pick<SessionsApi, 'service' | 'revocations'>;
  store: AccountStore;
  proofs: EmailProofs;
  mailer: Mailer;
  /** Hashes at the configured cost (GUESTPASS_PASSWORD_HASH_COST). */
  passwords: PasswordHasher;
  /** Keys `account_key` in events and per-account rate limits (HMAC of the address). */
  accountKeySecret: Buffer;
  /** Mail failures are logged without recipient or content. */
  onMailError: (error: unknown) => void;
}

/** How verification ended: the outcome says what happened to the guest, if one came along. */
export type VerificationOutcome = 'promoted' | 'merged' | 'created' | 'verified';

export interface Verified {
  outcome: VerificationOutcome;
  account: AccountRecord;
}

/**
 * Registered users: sign-up and verification, login, convert-first, passwords. Whatever a
 * request could reveal about whether an address is registered, it does not: sign-up,
 * conversion and reset answer the same body, do the same hashing and send mail after
 * answering; login fails with one error and the same argon2 work.
 */
export class AccountService {
  readonly store: AccountStore;
  private readonly deps: AccountServiceOptions;
  /** This feature's part of erasing and exporting a person. */
  readonly erasure: AccountErasure;
  private readonly proofs: EmailProofs;
  private readonly mailer: Mailer;
  private readonly accountKeySecret: Buffer;
  private readonly onMailError: (error: unknown) => void;

  constructor(deps: AccountServiceOptions) {
    const { store, proofs, mailer, accountKeySecret, onMailError, passwords } = deps;
    this.deps = deps;
    this.store = store;
    this.erasure = new AccountErasure({ store, proofs, passwords });
    this.proofs = proofs;
    this.mailer = mailer;
    this.accountKeySecret = accountKeySecret;
    this.onMailError = onMailError;
  }

  /** What carrying a guest over into an account takes (conversion.ts), for a request from `network`. */
  private carryOver(network: NetworkInfo | undefined): CarryOverContext {
    const { outbox, now, clientCache, config } = this.deps;
    return { outbox, now, clientCache, config, store: this.store, ...(network ? { network } : {}) };
  }

  /** Where mail goes, safe to log (never recipients or codes). */
  describeMailer(): string {
    return this.mailer.describe();
  }

  /** Deletes a batch of proofs that expired over a day ago (at most `batch`); returns how many. */
  purgeExpiredProofs(batch?: number): Promise<number> {
    return this.proofs.purgeExpired(batch);
  }

  /** How many proofs the purge would delete now. */
  countExpiredProofs(): Promise<number> {
    return this.proofs.countExpired();
  }

  /** Deletes the proofs of culled guests in the cull's transaction `db` (sessions/cull.ts). */
  forgetProofs(userIds: readonly string[], db: Kysely<Database>): Promise<number> {
    return this.proofs.deleteOfUsers(userIds, db);
  }

  close(): Promise<void> {
    return this.mailer.close();
  }

  accountKey(email: string): string {
    return accountKeyOf(this.accountKeySecret, email);
  }

  email(raw: string): string {
    const email = normaliseEmail(raw);
    if (!email) throw accountError('INVALID_EMAIL');
    return email;
  }

  /** `account_key` of whatever address was typed, valid or not (events and limits never hold the address). */
  accountKeyOfTyped(raw: string): string {
    return this.accountKey(normaliseEmail(raw) ?? raw.trim().toLowerCase());
  }

  /** The registered account at this address (not a guest, not merged away), if there is one. */
  async findRegistered(raw: string): Promise<AccountRecord | undefined> {
    const email = normaliseEmail(raw);
    const account = email ? await this.store.findByEmail(email) : undefined;
    return account && !account.isAnonymous && account.mergedInto === null ? account : undefined;
  }

  /**
   * The registered account at this address whose password this is, for a sign-in outside the
   * OAuth flow (the console: operators/). Unknown or invalid address, no password, wrong
   * password: undefined, after the same argon2 work, as `logIn` does.
   */
  async checkPassword(raw: string, password: string): Promise<AccountRecord | undefined> {
    const account = await this.findRegistered(raw);
    const ok = account?.passwordHash ? await this.deps.passwords.verify(account.passwordHash, password) : await this.deps.passwords.dummyVerify(password);
    return ok ? account : undefined;
  }

  /**
   * POST /accounts/signup. The password (if any) is hashed now, whether or not the address is
   * registered, and kept with the proof; it applies only to a new account, once the address
   * is proven. An existing account's password is never replaced by a sign-up.
   */
  async signUp(input: { email: string; password?: string; guest?: GuestHandle; client: Client; network?: NetworkInfo }): Promise<void> {
    const email = this.email(input.email);
    if (input.password !== undefined) {
      const problem = checkPasswordPolicy(input.password);
      if (problem) throw accountError('WEAK_PASSWORD', problem);
    }
    const passwordHash = input.password === undefined ? null : await this.deps.passwords.hash(input.password);
    const existing = await this.store.findByEmail(email);
    await this.sendVerification(email, { guest: input.guest, passwordHash: existing ? null : passwordHash, clientId: input.client.id });
    this.deps.events.emit('signup.requested', {
      time: this.deps.now(),
      client_id: input.client.id,
      account_key: this.accountKey(email),
      has_guest: input.guest !== undefined,
      ...(input.network ? { network: input.network } : {}),
    });
  }

  /** POST /anonymous/convert: the guest names its address; nothing changes until it is proven. */
  async convert(input: { email: string; guest: GuestHandle; network?: NetworkInfo }): Promise<void> {
    const email = this.email(input.email);
    await this.sendVerification(email, { guest: input.guest, passwordHash: null, clientId: input.guest.clientId });
    this.deps.events.emit('signup.requested', {
      time: this.deps.now(),
      client_id: input.guest.clientId,
      account_key: this.accountKey(email),
      has_guest: true,
      ...(input.network ? { network: input.network } : {}),
    });
  }

  /**
   * Ownership proven (code or link): only now does anything change (seed 002: nobody takes
   * over a guest by typing an address). A new address promotes the guest in place, or creates
   * an account; a registered address absorbs the guest by merging.
   */
  async completeVerification(proof: Proof, network?: NetworkInfo): Promise<Verified> {
    const carry = this.carryOver(network);
    const guest: GuestHandle | undefined = proof.userId ? { userId: proof.userId, sessionId: proof.sessionId, clientId: proof.clientId ?? '' } : undefined;
    const existing = await this.store.findByEmail(proof.email);
    if (existing && existing.mergedInto === null && !existing.isAnonymous) {
      if (guest && guest.userId !== existing.id && (await this.isLiveGuest(guest.userId))) {
        return { outcome: 'merged', account: await mergeGuest(carry, guest, existing, 'email') };
      }
      return { outcome: 'verified', account: existing };
    }
    if (guest) {
      const promoted = await promoteGuest(carry, guest, { email: proof.email, passwordHash: proof.passwordHash }, 'email');
      if (promoted) return { outcome: 'promoted', account: promoted };
    }
    const created = await this.store.create({
      id: newId(),
      email: proof.email,
      passwordHash: proof.passwordHash,
      clientId: proof.clientId,
      now: this.deps.now(),
    });
    if (created) return { outcome: 'created', account: created };
    // Another verification of the same address won the race; its account is the one.
    const winner = await this.store.findByEmail(proof.email);
    if (!winner) throw accountError('INVALID_CODE');
    return { outcome: 'verified', account: winner };
  }

  async verifyCode(email: string, code: string, network?: NetworkInfo): Promise<Verified> {
    return this.completeVerification(await this.proofs.consumeCode('verify', this.email(email), code), network);
  }

  async verifyLink(token: string, network?: NetworkInfo): Promise<Verified> {
    return this.completeVerification(await this.proofs.consumeLink('verify', token), network);
  }

  /**
   * POST /accounts/login. Unknown address, no password set, wrong password: one error, the
   * same argon2 work. A guest presented with the login is merged into the account.
   */
  async logIn(input: {
    email: string;
    password: string;
    client: Client;
    guest?: GuestHandle;
    network?: NetworkInfo;
  }): Promise<{ account: AccountRecord; merged: boolean }> {
    const email = this.email(input.email);
    const accountKey = this.accountKey(email);
    const account = await this.store.findByEmail(email);
    const ok =
      account?.passwordHash && account.mergedInto === null
        ? await this.deps.passwords.verify(account.passwordHash, input.password)
        : await this.deps.passwords.dummyVerify(input.password);
    if (!ok || !account) {
      this.deps.events.emit('login.failed', {
        time: this.deps.now(),
        client_id: input.client.id,
        account_key: accountKey,
        reason: 'bad_credentials',
        ...(input.network ? { network: input.network } : {}),
      });
      throw accountError('INVALID_CREDENTIALS');
    }
    if (input.guest && input.guest.userId !== account.id && (await this.isLiveGuest(input.guest.userId))) {
      const merged = await mergeGuest(this.carryOver(input.network), input.guest, account, 'login');
      return { account: merged, merged: true };
    }
    return { account, merged: false };
  }

  /**
   * POST /accounts/link/id-token, after the ID token is verified: the account linked to
   * (issuer, subject) absorbs the guest; otherwise the guest is promoted in place and linked;
   * otherwise a new account is created. An address is taken from the token only when the
   * provider says it is verified, and it never attaches the identity to someone else's
   * account unless that account has the same verified address.
   */
  async linkIdentity(
    identity: VerifiedIdentity,
    client: Client,
    guest?: GuestHandle,
    network?: NetworkInfo,
  ): Promise<{ account: AccountRecord; outcome: VerificationOutcome }> {
    const carry = this.carryOver(network);
    const now = this.deps.now();
    const email = identity.email && identity.emailVerified ? normaliseEmail(identity.email) : undefined;
    const linkedId = await this.store.findIdentity(identity.issuer, identity.subject);
    let account = linkedId ? await this.followAliases(linkedId) : undefined;
    if (!account && email) {
      const byEmail = await this.store.findByEmail(email);
      if (byEmail && !byEmail.isAnonymous && byEmail.mergedInto === null) account = byEmail;
    }
    if (account) {
      await this.store.linkIdentity(identity.issuer, identity.subject, account.id, now);
      if (guest && guest.userId !== account.id && (await this.isLiveGuest(guest.userId)))
        return { account: await mergeGuest(carry, guest, account, 'id_token'), outcome: 'merged' };
      return { account, outcome: 'verified' };
    }
    if (guest) {
      const promoted = await promoteGuest(carry, guest, { email: email ?? null, passwordHash: null }, 'id_token');
      if (promoted) {
        const winner = await this.store.linkIdentity(identity.issuer, identity.subject, promoted.id, now);
        if (winner === promoted.id) return { account: promoted, outcome: 'promoted' };
      }
    }
    const created =
      (await this.store.create({ id: newId(), email: email ?? null, passwordHash: null, clientId: client.id, now })) ??
      (await this.store.create({ id: newId(), email: null, passwordHash: null, clientId: client.id, now }));
    if (!created) throw accountError('USER_NOT_FOUND');
    const winner = await this.store.linkIdentity(identity.issuer, identity.subject, created.id, now);
    const linked = winner === created.id ? created : await this.followAliases(winner);
    if (!linked) throw accountError('USER_NOT_FOUND');
    return { account: linked, outcome: winner === created.id ? 'created' : 'verified' };
  }

  /** The live account behind an id: itself, or the account a merged guest went into. */
  async followAliases(userId: string): Promise<AccountRecord | undefined> {
    const user = await this.store.get(userId);
    if (!user?.mergedInto) return user;
    return this.store.get(user.mergedInto);
  }

  /** Sets the first password of a user who converted without one (convert-first flow). */
  async setFirstPassword(userId: string, password: string): Promise<void> {
    const user = await this.store.get(userId);
    if (!user || user.isAnonymous || user.mergedInto !== null) throw accountError('REGISTERED_USER_REQUIRED');
    const problem = checkPasswordPolicy(password);
    if (problem) throw accountError('WEAK_PASSWORD', problem);
    if (!(await this.store.setPassword(userId, await this.deps.passwords.hash(password), this.deps.now(), { onlyIfUnset: true })))
      throw accountError('PASSWORD_ALREADY_SET');
  }

  /**
   * POST /accounts/password/forgot: mail only to a registered address, the same answer for all.
   * Every address spends its mail allowance and has its reset-code attempts restarted alike;
   * otherwise a lock-out lifted by this request for registered addresses only would tell them apart.
   */
  async forgotPassword(rawEmail: string, client: Client): Promise<void> {
    const email = this.email(rawEmail);
    if (!(await this.mailAllowed(email))) return;
    const account = await this.store.findByEmail(email);
    if (!account || account.isAnonymous || account.mergedInto !== null) return this.proofs.restartAttempts('reset', email);
    const issued = await this.proofs.issue({ purpose: 'reset', email, userId: account.id, clientId: client.id });
    const link = `${this.deps.issuer()}/accounts/password/reset?token=${issued.linkToken}`;
    this.mailInBackground(email, passwordResetMail({ link, code: issued.code, expiresInMinutes: PROOF_TTL_MS / 60_000, issuer: this.deps.issuer() }));
  }

  /**
   * POST /accounts/password/reset: a new password, and every session of the account ends (a
   * reset is what someone does when they fear another holds the password). It never carries
   * a guest over: the schema takes no session token.
   */
  async resetPassword(input: { token?: string; email?: string; code?: string; password: string }, network?: NetworkInfo): Promise<string> {
    const problem = checkPasswordPolicy(input.password);
    if (problem) throw accountError('WEAK_PASSWORD', problem);
    const proof =
      input.token !== undefined
        ? await this.proofs.consumeLink('reset', input.token)
        : await this.proofs.consumeCode('reset', this.email(input.email ?? ''), input.code ?? '');
    const userId = proof.userId;
    const now = this.deps.now();
    if (!userId || !(await this.store.setPassword(userId, await this.deps.passwords.hash(input.password), now))) throw accountError('INVALID_RESET_TOKEN');
    // Directly, not on `password.reset`: the sessions have ended when the client hears the reset succeeded.
    await this.deps.sessions.revocations.revokeAllOfUser(userId, 'password_reset');
    this.deps.events.emit('password.reset', { time: now, subject: userId, ...(network ? { network } : {}) });
    return userId;
  }

  /** A new session for a registered user, in the usual token shape. */
  async issueTokens(
    facts: RequestFacts,
    account: AccountRecord,
    input: { scope?: string; audience?: string; resource?: string } = {},
  ): Promise<GuestTokenResponse> {
    return this.deps.sessions.service.startForUser(facts, { id: account.id, isAnonymous: account.isAnonymous, metadata: account.metadata }, input);
  }

  loginSucceeded(account: AccountRecord, response: GuestTokenResponse, client: Client, method: 'password' | 'id_token', network?: NetworkInfo): void {
    this.deps.events.emit('login.succeeded', {
      time: this.deps.now(),
      client_id: client.id,
      subject: account.id,
      session_id: response.session_id,
      account_key: this.accountKey(account.email ?? account.id),
      method,
      ...(network ? { network } : {}),
    });
  }

  async isLiveGuest(userId: string): Promise<boolean> {
    const user = await this.store.get(userId);
    return !user || (user.isAnonymous && user.mergedInto === null);
  }

  private async sendVerification(
    email: string,
    { guest, passwordHash, clientId }: { guest: GuestHandle | undefined; passwordHash: string | null; clientId: string },
  ): Promise<void> {
    // Mail bombing: a few messages per address per window; beyond, the same answer and no mail.
    if (!(await this.mailAllowed(email))) return;
    const issued = await this.proofs.issue({
      purpose: 'verify',
      email,
      userId: guest?.userId ?? null,
      sessionId: guest?.sessionId ?? null,
      passwordHash,
      clientId,
    });
    const link = `${this.deps.issuer()}/accounts/verify?token=${issued.linkToken}`;
    this.mailInBackground(email, verificationMail({ code: issued.code, link, expiresInMinutes: PROOF_TTL_MS / 60_000, issuer: this.deps.issuer() }));
  }

  private async mailAllowed(email: string): Promise<boolean> {
    const result = await this.deps.rateLimits.hit(`mail:${this.accountKey(email)}`, MAILS_PER_ADDRESS, MAIL_WINDOW_MS);
    return result.allowed;
  }

  /**
   * The proof is stored before we answer; the mail goes after, so an SMTP round trip cannot
   * tell a registered address from a new one by timing. A lost mail is re-requested by the user.
   */
  private mailInBackground(to: string, content: MailContent): void {
    setImmediate(() => {
      this.mailer.send({ to, ...content }).catch(this.onMailError);
    });
  }
}
