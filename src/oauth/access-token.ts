import { errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { Keyring } from '../crypto/keyring.js';
import { signCompactJws } from '../crypto/jws.js';
import { randomTokenId } from '../crypto/random-pool.js';

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

/** Mints and verifies RFC 9068 JWT access tokens. */
export class AccessTokens {
  private readonly now: () => number;
  private readonly clockSkewSeconds: number;

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
    let claims: AccessTokenClaims;
    try {
      const { payload } = await jwtVerify(token, (header: ProtectedHeaderParameters) => this.keyFor(header), {
        issuer: this.options.issuer(),
        typ: 'at+jwt',
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'jti', 'client_id', 'exp', 'iat', 'aud'],
        currentDate: new Date(allowExpired ? 0 : this.now()),
      });
      claims = payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return undefined;
      throw error;
    }
    if (claims.iat > this.now() / 1000 + this.clockSkewSeconds) return undefined;
    return claims;
  }

  private keyFor(header: ProtectedHeaderParameters) {
    const key = header.kid ? this.options.keyring.verificationKey(header.kid) : undefined;
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  }
}
