import { createHash } from 'node:crypto';
import { dpopError } from './error-codes.js';

/** The claims of RFC 9449 §4.2 after their types are checked. */
export interface DpopClaims {
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath?: string;
  nonce?: string;
}

const MAX_JTI_LENGTH = 256;
const invalid = (description: string) => dpopError('INVALID_DPOP_PROOF', description);

/** RFC 9449 §4.3 step 3: every required claim is there with its type. */
export function readClaims(payload: Uint8Array): DpopClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw invalid('The DPoP proof payload is not a JSON object.');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw invalid('The DPoP proof payload is not a JSON object.');
  const { jti, htm, htu, iat, ath, nonce } = claims as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw invalid(`The DPoP proof needs a jti claim: a unique string of at most ${MAX_JTI_LENGTH} characters (RFC 9449 §4.2).`);
  }
  if (typeof htm !== 'string' || typeof htu !== 'string')
    throw invalid('The DPoP proof needs htm and htu claims naming the HTTP method and URL (RFC 9449 §4.2).');
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw invalid('The DPoP proof needs an iat claim: the time it was created, in seconds since the epoch (RFC 9449 §4.2).');
  if (ath !== undefined && typeof ath !== 'string') throw invalid('The DPoP proof ath claim must be a string.');
  if (nonce !== undefined && typeof nonce !== 'string') throw invalid('The DPoP proof nonce claim must be a string.');
  return { jti, htm, htu, iat, ...(ath === undefined ? {} : { ath }), ...(nonce === undefined ? {} : { nonce }) };
}

/** RFC 9449 §4.3 step 8. Methods are case-sensitive (RFC 9110 §9.1). */
export function checkHtm(claims: DpopClaims, method: string): void {
  if (claims.htm !== method) throw invalid(`The DPoP proof htm claim must be the request method, ${method}.`);
}

/**
 * The URL a proof is compared on (RFC 9449 §4.3 step 9): no query or fragment, after the
 * syntax- and scheme-based normalization of RFC 3986 §6.2.2–6.2.3 that `new URL()` applies
 * (lower-case scheme and host, no default port, dot segments removed). Undefined when the
 * value is not an absolute http(s) URL or carries credentials.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function checkHtu(claims: DpopClaims, expectedUrl: string): void {
  const expected = normalizeHtu(expectedUrl);
  if (expected === undefined) throw new TypeError(`expected.htu is not an absolute http(s) URL: ${expectedUrl}`);
  if (normalizeHtu(claims.htu) !== expected) {
    throw invalid(`The DPoP proof htu claim must be the URL of this request without query or fragment, ${expected}.`);
  }
}

/** RFC 9449 §4.3 step 11 and §11.1: a proof is only good within the leeway of its creation. */
export function checkIat(claims: DpopClaims, nowMs: number, leewaySeconds: number): void {
  const iatMs = claims.iat * 1000;
  if (iatMs < nowMs - leewaySeconds * 1000) {
    throw invalid(`The DPoP proof is too old: its iat is more than ${leewaySeconds} s in the past. Sign a new proof for each request.`);
  }
  if (iatMs > nowMs + leewaySeconds * 1000) {
    throw invalid(`The DPoP proof iat is more than ${leewaySeconds} s in the future; check the client's clock.`);
  }
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII octets. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** RFC 9449 §4.3 step 12 and §7: a proof sent with an access token is tied to that token. */
export function checkAth(claims: DpopClaims, accessToken: string): void {
  if (claims.ath === undefined) {
    throw invalid('A DPoP proof sent with an access token needs an ath claim: the base64url SHA-256 hash of that token (RFC 9449 §4.2).');
  }
  if (claims.ath !== accessTokenHash(accessToken)) throw invalid('The DPoP proof ath claim does not match the access token sent with it.');
}
