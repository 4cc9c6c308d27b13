import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { checkDpopProof } from './dpop.js';
import { type AuthScheme, GuestpassAuthError } from './errors.js';
import { Introspector, type IntrospectionOptions } from './introspection.js';
import { keySetFor, type JwksOptions } from './jwks.js';
import { MemoryReplayStore, type ReplayStore } from './replay-cache.js';
import { assertScopes, scopesOf } from './scopes.js';
import { type GuestpassAuth, isMappedClaim } from './types.js';

export interface DpopOptions {
  /** Refuse tokens that are not DPoP-bound (RFC 9449 §7.2). @default false */
  required?: boolean;
  /** Seconds a proof's `iat` may lie from now, either way. @default 60 */
  iatLeeway?: number;
  /** Where proof ids are remembered; share one (e.g. Redis) between the API's nodes. @default an in-process store */
  replayStore?: ReplayStore;
}

export interface VerifyOptions {
  /** Guestpass's issuer URL, exactly as in its tokens' `iss` (e.g. `https://auth.example`). */
  issuer: string;
  /** This API's identifier(s): the token's `aud` must name one (RFC 9068 §4). */
  audience: string | readonly string[];
  /** Signature algorithms accepted on access tokens. @default ['ES256', 'EdDSA'] */
  algorithms?: readonly string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. @default 5 */
  clockTolerance?: number;
  jwks?: JwksOptions;
  /** Ask Guestpass whether the token was revoked (RFC 7662). Off unless set. */
  introspection?: IntrospectionOptions;
  dpop?: DpopOptions;
  /** Scopes every token must carry; routes add their own with `requireScopes`. */
  requiredScopes?: readonly string[];
  /** `realm` of the WWW-Authenticate challenges. @default 'api' */
  realm?: string;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** How the token arrived: the Authorization scheme and, for DPoP, the proof and the request it covers. */
export interface Presentation {
  scheme?: AuthScheme;
  dpop?: { proof: string | undefined; method: string; url: string };
}

export type TokenVerifier = <M extends Record<string, unknown> = Record<string, unknown>>(
  token: string,
  presentation?: Presentation,
) => Promise<GuestpassAuth<M>>;

const defaultReplayStore = new MemoryReplayStore();
/** Per clock (tests bring their own) and per endpoint and credentials. */
const introspectors = new WeakMap<() => number, Map<string, Introspector>>();

/**
 * Builds the verifier the middleware use; the JWKS, the introspection cache and the replay
 * store are shared with every other verifier of the same issuer and settings.
 */
export function createVerifier(options: VerifyOptions): TokenVerifier {
  const { issuer, audience, algorithms = ['ES256', 'EdDSA'], clockTolerance = 5, realm = 'api', now = Date.now } = options;
  const keySet = keySetFor(issuer, options.jwks);
  const introspector = options.introspection ? introspectorFor(issuer, options.introspection, now) : undefined;
  const dpop = { replay: options.dpop?.replayStore ?? defaultReplayStore, iatLeeway: options.dpop?.iatLeeway ?? 60, now };

  return async <M extends Record<string, unknown>>(token: string, presentation: Presentation = {}): Promise<GuestpassAuth<M>> => {
    const scheme = presentation.scheme ?? 'Bearer';
    let payload: JWTPayload;
    try {
      // RFC 9068 §4: typ at+jwt, the issuer, an audience of ours, signature by a published key.
      ({ payload } = await jwtVerify(token, keySet, {
        issuer,
        audience: typeof audience === 'string' ? audience : [...audience],
        typ: 'at+jwt',
        algorithms: [...algorithms],
        clockTolerance,
        currentDate: new Date(now()),
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      }));
    } catch (error) {
      throw tokenFailure(error, { scheme, realm });
    }
    const jkt = (payload['cnf'] as { jkt?: unknown } | undefined)?.jkt;
    if (typeof jkt === 'string') {
      if (scheme !== 'DPoP') throw new GuestpassAuthError('TOKEN_BOUND_TO_DPOP', undefined, { scheme: 'DPoP', realm });
      const request = presentation.dpop;
      if (!request?.proof) {
        throw new GuestpassAuthError('INVALID_DPOP_PROOF', 'A DPoP-bound access token needs a DPoP proof header made by the bound key (RFC 9449 §7.1).', {
          scheme: 'DPoP',
          realm,
        });
      }
      await checkDpopProof({ proof: request.proof, method: request.method, url: request.url }, token, jkt, dpop);
    } else if (scheme === 'DPoP') {
      throw new GuestpassAuthError('TOKEN_NOT_BOUND', undefined, { realm });
    } else if (options.dpop?.required) {
      throw new GuestpassAuthError('DPOP_REQUIRED', undefined, { scheme: 'DPoP', realm });
    }
    const challengeScheme: AuthScheme = typeof jkt === 'string' ? 'DPoP' : 'Bearer';
    if (introspector && !(await introspector.isActive(token, payload.jti!, payload.exp!))) {
      throw new GuestpassAuthError('TOKEN_REVOKED', undefined, { scheme: challengeScheme, realm });
    }
    const auth = toAuth<M>(token, payload, typeof jkt === 'string' ? jkt : undefined);
    if (options.requiredScopes) assertScopes(auth, options.requiredScopes, { scheme: challengeScheme, realm });
    return auth;
  };
}

/**
 * Verifies a Guestpass access token anywhere (no framework): signature through the issuer's
 * JWKS, `typ: at+jwt`, issuer, audience, expiry; for a DPoP-bound token the proof in
 * `presentation`; with `introspection`, that it was not revoked. Throws a
 * `GuestpassAuthError` (status, RFC 6750 `error`, description, `WWW-Authenticate`).
 */
export function verifyAccessToken<M extends Record<string, unknown> = Record<string, unknown>>(
  token: string,
  options: VerifyOptions,
  presentation?: Presentation,
): Promise<GuestpassAuth<M>> {
  return createVerifier(options)<M>(token, presentation);
}

function introspectorFor(issuer: string, options: IntrospectionOptions, now: () => number): Introspector {
  let byOptions = introspectors.get(now);
  if (!byOptions) introspectors.set(now, (byOptions = new Map()));
  const key = JSON.stringify([issuer, options.endpoint, options.clientId, options.clientSecret, options.cacheTtl, options.maxEntries, options.timeout]);
  let introspector = byOptions.get(key);
  if (!introspector) byOptions.set(key, (introspector = new Introspector(issuer, options, now)));
  return introspector;
}

function toAuth<M extends Record<string, unknown>>(token: string, payload: JWTPayload, jkt: string | undefined): GuestpassAuth<M> {
  const claims = Object.fromEntries(Object.entries(payload).filter(([name]) => isMappedClaim(name))) as M;
  return {
    sub: payload.sub!,
    sid: typeof payload['sid'] === 'string' ? payload['sid'] : undefined,
    is_anonymous: payload['is_anonymous'] === true,
    client_id: String(payload['client_id']),
    scopes: scopesOf(payload),
    claims,
    jkt,
    token,
    payload,
  };
}

/** Maps jose's failures to refusals a caller can act on; a JWKS that cannot be fetched is a 503, not the token's fault. */
function tokenFailure(error: unknown, challenge: { scheme: AuthScheme; realm: string }): GuestpassAuthError {
  const refuse = (code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'WRONG_AUDIENCE', description?: string) => new GuestpassAuthError(code, description, challenge);
  if (error instanceof joseErrors.JWTExpired) return refuse('TOKEN_EXPIRED');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return refuse('WRONG_AUDIENCE');
    if (error.claim === 'typ')
      return refuse('INVALID_TOKEN', 'This is not an access token: its typ header must be "at+jwt" (RFC 9068 §2.1); ID tokens and other JWTs are refused.');
    if (error.claim === 'iss') return refuse('INVALID_TOKEN', 'The access token was issued by another authorization server than the one this API trusts.');
    return refuse('INVALID_TOKEN', `The access token's ${error.claim} claim is missing or not valid; get a new token from Guestpass.`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return refuse('INVALID_TOKEN', 'The access token signature does not verify; get a new token from Guestpass.');
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return refuse('INVALID_TOKEN', "The access token was signed by a key the issuer's JWKS does not publish; get a new token from Guestpass.");
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return refuse('INVALID_TOKEN', 'The access token is signed with an algorithm this API does not accept.');
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || !(error instanceof joseErrors.JOSEError)) {
    return new GuestpassAuthError(
      'AUTHORIZATION_SERVER_UNAVAILABLE',
      "The access token could not be checked because the issuer's JWKS could not be fetched; retry in a few seconds.",
    );
  }
  return refuse('INVALID_TOKEN', 'The access token is not a well-formed signed JWT; send the access_token Guestpass returned, unchanged.');
}
