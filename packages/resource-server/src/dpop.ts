import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import { DPOP_ALGORITHMS, GuestpassAuthError } from './errors.js';
import type { ReplayStore } from './replay-cache.js';

export interface DpopCheckOptions {
  replay: ReplayStore;
  /** How far a proof's `iat` may lie from now, either way, in seconds. @default 60 */
  iatLeeway: number;
  now: () => number;
}

/** What the request a proof came with looks like. */
export interface DpopRequest {
  proof: string;
  /** The request method, upper case as sent. */
  method: string;
  /** The public URL of the request; query and fragment are ignored. */
  url: string;
}

const refuse = (description: string) => new GuestpassAuthError('INVALID_DPOP_PROOF', description, { scheme: 'DPoP' });

/**
 * Checks a DPoP proof sent with a bound access token, as RFC 9449 §4.3 and §7.1 list the
 * steps: `typ: dpop+jwt`, an asymmetric `alg`, the signature by the public `jwk` in its header,
 * `htm`, `htu`, `iat` within the leeway, `ath` = hash of this token, the key's thumbprint =
 * the token's `cnf.jkt`, and a `jti` not seen before. Server-provided nonces (§8) are not
 * used: a resource server would have to issue and share them itself.
 */
export async function checkDpopProof(request: DpopRequest, accessToken: string, boundJkt: string, options: DpopCheckOptions): Promise<void> {
  let payload: Record<string, unknown>;
  let jwk: JWK | undefined;
  try {
    const verified = await jwtVerify(request.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS] });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk;
  } catch (error) {
    throw refuse(describeJoseFailure(error));
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    throw refuse('The DPoP proof needs a jti claim: a unique string of at most 256 characters.');
  if (htm !== request.method) throw refuse(`The DPoP proof htm claim must be the request method, ${request.method}.`);
  const expectedUrl = normalizeHtu(request.url);
  if (typeof htu !== 'string' || normalizeHtu(htu) !== expectedUrl) {
    throw refuse(`The DPoP proof htu claim must be the URL of this request without query or fragment, ${expectedUrl}.`);
  }
  const nowMs = options.now();
  if (typeof iat !== 'number' || Math.abs(iat * 1000 - nowMs) > options.iatLeeway * 1000) {
    throw refuse(`The DPoP proof iat must be within ${options.iatLeeway} s of now: sign a new proof for every request, and check the client's clock.`);
  }
  if (ath !== createHash('sha256').update(accessToken, 'ascii').digest('base64url')) {
    throw refuse('The DPoP proof ath claim must be the base64url SHA-256 of the access token it is sent with (RFC 9449 §4.2).');
  }
  if (!jwk || (await calculateJwkThumbprint(jwk, 'sha256')) !== boundJkt) {
    throw refuse('The DPoP proof was signed by another key than the one this access token is bound to (cnf.jkt); sign proofs with that key.');
  }
  // Last, so only proofs that are otherwise good take room in the store. Keyed by thumbprint
  // too, so one client cannot burn another's jti.
  if (!(await options.replay.remember(`${boundJkt}:${jti}`, (iat + options.iatLeeway) * 1000))) {
    throw refuse('This DPoP proof was already used: sign a new proof with a fresh jti for every request (RFC 9449 §11.1).');
  }
}

/**
 * RFC 9449 §4.3 step 9 compares URLs after RFC 3986 §6.2.2–6.2.3 normalization, which
 * `new URL()` applies (case of scheme and host, default port, dot segments).
 */
function normalizeHtu(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? `${url.protocol}//${url.host}${url.pathname}` : undefined;
  } catch {
    return undefined;
  }
}

function describeJoseFailure(error: unknown): string {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The DPoP proof signature does not verify with the key in its jwk header.';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return `The DPoP proof must be signed with one of ${DPOP_ALGORITHMS.join(', ')}.`;
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'typ') return 'The DPoP proof header must have typ "dpop+jwt".';
  return 'The DPoP proof is not a JWT signed by the public jwk in its header, with typ "dpop+jwt" (RFC 9449 §4.2).';
}
