import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { Keyring } from '../crypto/keyring.js';
import { signCompactJws } from '../crypto/jws.js';
import { randomTokenId } from '../crypto/random-pool.js';
import { BoundedLru } from '../shared/bounded-lru.js';

/** Claims of a Guestpass access token (RFC 9068 §2.2, plus DESIGN §4 additions). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  sid?: string;
  is_anonymous?: boolean;
  cnf?: { jkt: string };
}

export interface IssueAccessTokenInput {
  subject: string;
  clientId: string;
  audience: string;
  scope: string;
  ttlSeconds: number;
  /** Extra claims (session id, anonymity, confirmation, mapped metadata). */
  claims?: Record<string, unknown>;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export interface AccessTokensOptions {
  keyring: Keyring;
  issuer: () => string;
  /** Whether a well-signed, unexpired token was revoked since (see token-liveness.ts). */
  isRevoked: (claims: AccessTokenClaims) => Promise<boolean>;
  /**
   * How far in the future a token's `iat` may lie, for clocks that differ between nodes; the
   * same allowance DPoP proofs get (`iatLeewaySeconds` in dpop/proof.ts). @default 60
   */
  clockSkewSeconds?: number;
  now?: () => number;
}

/** Accepted signature algorithms. Anything else, `none` and HMAC above all, is refused. */
const ALGORITHMS = ['ES256', 'EdDSA'];

/**
 * Tokens whose signature this node has checked, by their full text. A client sends the same
 * access token with every call for its lifetime (15 minutes by default), and jose's ES256 check
 * is the largest single cost of a call that presents one: 12% of a metadata write's CPU in a
 * profile, about 80 µs on the 2-core machine. Only a token that passed is kept, with the key
 * that verified it: a hit still checks expiry and `iat` against the clock, and the key against
 * the keyring (a key retired or replaced since is a miss), and verify() still asks the denylist.
 * 10,000 tokens of about 600 characters with their claims take about 10 MB at most.
 */
const VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  claims: AccessTokenClaims;
  kid: string;
  key: KeyObject;
  issuer: string;
}

/** Mints and verifies RFC 9068 JWT access tokens. */
export class AccessTokens {
  private readonly now: () => number;
  private readonly clockSkewSeconds: number;
  private readonly verified = new BoundedLru<string, VerifiedToken>(VERIFIED_TOKENS);

  constructor(private readonly options: AccessTokensOptions) {
    this.now = options.now ?? Date.now;
    this.clockSkewSeconds = options.clockSkewSeconds ?? 60;
  }

  issue(input: IssueAccessTokenInput): IssuedAccessToken {
    const nowMs = this.now();
    const iat = Math.floor(nowMs / 1000);
    const jti = randomTokenId();
    const claims: AccessTokenClaims = {
      ...input.claims,
      iss: this.options.issuer(),
      sub: input.subject,
      aud: input.audience,
      exp: iat + input.ttlSeconds,
      iat,
      jti,
      client_id: input.clientId,
      ...(input.scope ? { scope: input.scope } : {}),
    };
    // RFC 9068 §2.1: the media type of the JWT is at+jwt.
    const token = signCompactJws(this.options.keyring.signingKey, { typ: 'at+jwt' }, claims);
    return { token, jti, expiresAt: claims.exp * 1000, expiresIn: input.ttlSeconds, claims };
  }

  /**
   * Verifies signature, `typ`, issuer and expiry, then the denylist. Returns undefined for
   * any token that is not active, without saying why: callers answer `active: false` or
   * `invalid_token`, and the reason is never a hint to an attacker.
   */
  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    const claims = await this.verifySignature(token);
    if (!claims) return undefined;
    if (await this.options.isRevoked(claims)) return undefined;
    return claims;
  }

  /**
   * Signature and claims only, ignoring the denylist and optionally expiry (for revocation).
   * An `iat` beyond the clock-skew allowance in the future is refused even then: no node
   * issued that token at that time; it was minted by a node whose clock is wrong or with a
   * stolen key, and its lifetime, counted from that `iat`, would run longer than intended.
   */
  async verifySignature(token: string, { allowExpired = false } = {}): Promise<AccessTokenClaims | undefined> {
    const claims = this.verifiedBefore(token) ?? (await this.checkSignature(token));
    if (!claims) return undefined;
    const nowSeconds = this.now() / 1000;
    // jose's own rule (exp ≤ now is expired, to the second), for tokens served from the cache too.
    if (!allowExpired && claims.exp <= Math.floor(nowSeconds)) return undefined;
    if (claims.nbf !== undefined && claims.nbf > Math.floor(nowSeconds)) return undefined;
    if (claims.iat > nowSeconds + this.clockSkewSeconds) return undefined;
    return claims;
  }

  /** The claims of a token this node verified before, while the key that verified it still verifies for its kid. */
  private verifiedBefore(token: string): AccessTokenClaims | undefined {
    const cached = this.verified.get(token);
    if (!cached) return undefined;
    if (cached.issuer !== this.options.issuer() || this.options.keyring.verificationKey(cached.kid) !== cached.key) {
      this.verified.delete(token);
      return undefined;
    }
    return cached.claims;
  }

  /** jose's full check (signature, algorithm, `typ`, issuer, required claims), expiry left to the caller; a token that passes is remembered. */
  private async checkSignature(token: string): Promise<AccessTokenClaims | undefined> {
    let used: { kid: string; key: KeyObject } | undefined;
    const issuer = this.options.issuer();
    let claims: AccessTokenClaims;
    try {
      const { payload } = await jwtVerify(
        token,
        (header: ProtectedHeaderParameters) => {
          const key = this.keyFor(header);
          used = { kid: header.kid!, key };
          return key;
        },
        {
          issuer,
          typ: 'at+jwt',
          algorithms: ALGORITHMS,
          requiredClaims: ['sub', 'jti', 'client_id', 'exp', 'iat', 'aud'],
          // Expiry is checked by verifySignature, against the same clock for a cached token.
          currentDate: new Date(0),
        },
      );
      claims = deepFreeze(payload as AccessTokenClaims);
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return undefined;
      throw error;
    }
    if (used) this.verified.set(token, { claims, ...used, issuer });
    return claims;
  }

  private keyFor(header: ProtectedHeaderParameters) {
    const key = header.kid ? this.options.keyring.verificationKey(header.kid) : undefined;
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  }
}

/** Claims served from the cache are shared by every request that presents the token: none may change them. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
