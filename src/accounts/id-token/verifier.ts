import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { GuestpassError } from '../../shared/errors.js';
import { IssuerDirectory, type IssuerKeys } from './discovery.js';
import { idTokenError } from './error-codes.js';
import type { TrustedIssuer } from './trusted-issuers.js';

/** Who an ID token says signed in, once every check of OpenID Connect Core §3.1.3.7 passed. */
export interface VerifiedIdentity {
  /** The trusted issuer, exactly as configured (and as the token's `iss`). */
  issuer: string;
  /** The user at that issuer; (issuer, subject) is the only stable key for the link (Core §5.7). */
  subject: string;
  email?: string;
  /** True only when the issuer asserted `email_verified: true`. */
  emailVerified: boolean;
  name?: string;
}

export interface IdTokenVerifierOptions {
  /** GUESTPASS_TRUSTED_ISSUERS; empty means linking is off. */
  issuers: TrustedIssuer[];
  /** Used for discovery and JWKS requests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Epoch milliseconds; the token's times and the discovery cache are judged by it. @default Date.now */
  now?: () => number;
  /** Clock skew allowed between Guestpass and the issuer for `exp`, `iat` and `nbf`. @default 60 */
  clockToleranceSeconds?: number;
}

/** A token longer than this is not an ID token; refusing it early bounds the work spent. */
const MAX_TOKEN_LENGTH = 16_384;
/**
 * Core §3.1.3.7 item 10 lets a client refuse tokens issued too long ago; ID tokens live minutes
 * to an hour at every common provider, so a day bounds the replay of a leaked one.
 */
const MAX_TOKEN_AGE_SECONDS = 24 * 3600;

/** Verifies OpenID Connect ID tokens from the trusted issuers (discovery + JWKS, cached per issuer). */
export class IdTokenVerifier {
  readonly #issuers: ReadonlyMap<string, TrustedIssuer>;
  readonly #directory: IssuerDirectory;
  readonly #now: () => number;
  readonly #clockToleranceSeconds: number;

  constructor({ issuers, fetch: fetchImpl = globalThis.fetch, now = Date.now, clockToleranceSeconds = 60 }: IdTokenVerifierOptions) {
    this.#issuers = new Map(issuers.map((trusted) => [trusted.issuer, trusted]));
    this.#directory = new IssuerDirectory({ fetch: fetchImpl, now });
    this.#now = now;
    this.#clockToleranceSeconds = clockToleranceSeconds;
  }

  /** False when no issuer is configured: every `verify` then fails with LINKING_DISABLED. */
  get enabled(): boolean {
    return this.#issuers.size > 0;
  }

  /**
   * Verifies `idToken` and returns who it identifies, or throws an `idTokenError`.
   * `nonce` is the value the application put in its authorization request; when given it must
   * match the token's, and an issuer with `requireNonce` refuses tokens without one.
   */
  async verify(idToken: string, { nonce }: { nonce?: string } = {}): Promise<VerifiedIdentity> {
    if (!this.enabled) throw idTokenError('LINKING_DISABLED');
    const trusted = this.#trustedIssuerOf(idToken);
    // Checked before any network request: a request that cannot succeed costs nothing.
    if (trusted.requireNonce && !nonce) throw idTokenError('NONCE_REQUIRED');
    const keys = await this.#directory.resolve(trusted);
    const payload = await this.#verifyJwt(idToken, trusted, keys);
    checkAuthorizedParty(payload, trusted);
    if (nonce) checkNonce(payload, nonce);
    return identityOf(trusted.issuer, payload);
  }

  /**
   * The unverified `iss` only chooses which issuer's keys and rules apply; jwtVerify then
   * checks it again, signed, against that issuer.
   */
  #trustedIssuerOf(idToken: string): TrustedIssuer {
    let issuer: unknown;
    try {
      if (idToken.length > MAX_TOKEN_LENGTH) throw new Error('too long');
      issuer = decodeJwt(idToken).iss;
    } catch {
      throw idTokenError('ID_TOKEN_MALFORMED');
    }
    if (typeof issuer !== 'string') throw idTokenError('ID_TOKEN_MALFORMED');
    const trusted = this.#issuers.get(issuer);
    if (!trusted) throw idTokenError('ISSUER_NOT_TRUSTED');
    return trusted;
  }

  async #verifyJwt(idToken: string, trusted: TrustedIssuer, { algorithms, keys }: IssuerKeys): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(idToken, keys, {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        clockTolerance: this.#clockToleranceSeconds,
        currentDate: new Date(this.#now()),
      });
      return payload;
    } catch (error) {
      throw fromJose(error);
    }
  }
}

/** Maps jose's failures to the catalogue: the token's fault is 400, the issuer's is 5xx. */
function fromJose(error: unknown): GuestpassError {
  if (error instanceof errors.JWTExpired) return idTokenError('ID_TOKEN_EXPIRED');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return idTokenError('ID_TOKEN_AUDIENCE_MISMATCH');
    if (error.claim === 'iss') return idTokenError('ISSUER_NOT_TRUSTED');
    return idTokenError('ID_TOKEN_CLAIMS_INVALID');
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return idTokenError('ID_TOKEN_MALFORMED');
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return idTokenError('ID_TOKEN_SIGNATURE_INVALID');
  }
  // JWKSTimeout, JWKSInvalid, a non-200 JWKS response, a network error or an oversized body.
  const reason = error instanceof Error ? error.message : String(error);
  return idTokenError('ISSUER_UNAVAILABLE', `${idTokenError.catalogue.ISSUER_UNAVAILABLE.description} (JWKS: ${reason})`);
}

/**
 * Core §3.1.3.7 items 3 and 4: with several audiences the token must name, in `azp`, the party
 * it was issued to, and that party must be this issuer's configured client.
 */
function checkAuthorizedParty(payload: JWTPayload, trusted: TrustedIssuer): void {
  if (!Array.isArray(payload.aud) || payload.aud.length < 2) return;
  const azp = payload['azp'];
  if (typeof azp !== 'string' || !trusted.audience.includes(azp)) throw idTokenError('ID_TOKEN_AUDIENCE_MISMATCH');
}

/** Core §3.1.3.7 item 11, compared in constant time (digests, so lengths do not leak either). */
function checkNonce(payload: JWTPayload, expected: string): void {
  const actual = payload['nonce'];
  if (typeof actual !== 'string') throw idTokenError('NONCE_MISMATCH');
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (!timingSafeEqual(digest(actual), digest(expected))) throw idTokenError('NONCE_MISMATCH');
}

/** Core §2 and §5.1. `sub` is at most 255 ASCII characters; anything else is not a subject. */
function identityOf(issuer: string, payload: JWTPayload): VerifiedIdentity {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) throw idTokenError('ID_TOKEN_CLAIMS_INVALID');
  const email = payload['email'];
  const name = payload['name'];
  return {
    issuer,
    subject: sub,
    ...(typeof email === 'string' && email !== '' ? { email } : {}),
    emailVerified: typeof email === 'string' && payload['email_verified'] === true,
    ...(typeof name === 'string' && name !== '' ? { name } : {}),
  };
}
