/**
 * Every refusal the middleware sends, declared once. Statuses and `error` strings follow
 * RFC 6750 §3.1 (Bearer) and RFC 9449 §7.1 (DPoP); each description is a sentence the API's
 * caller can act on. A throw site may give a more specific one.
 */
export const RESOURCE_ERRORS = {
  TOKEN_MISSING: {
    status: 401,
    error: 'invalid_token',
    description: 'This API needs an access token: send "Authorization: Bearer <token>" (or "DPoP <token>" with a DPoP proof for a bound token).',
  },
  MALFORMED_AUTHORIZATION: {
    status: 400,
    error: 'invalid_request',
    description: 'The Authorization header must be "Bearer <token>" or "DPoP <token>", once, with a JWT as the token (RFC 6750 §2.1).',
  },
  INVALID_TOKEN: {
    status: 401,
    error: 'invalid_token',
    description: 'The access token is not valid: get a new one from Guestpass.',
  },
  TOKEN_EXPIRED: {
    status: 401,
    error: 'invalid_token',
    description: 'The access token has expired: refresh the session and retry with the new access token.',
  },
  WRONG_AUDIENCE: {
    status: 401,
    error: 'invalid_token',
    description: 'The access token was issued for another API (its aud claim does not name this one): request a token with this API as its audience.',
  },
  TOKEN_REVOKED: {
    status: 401,
    error: 'invalid_token',
    description: 'The access token was revoked or its session ended: start or refresh a session and retry with the new access token.',
  },
  TOKEN_BOUND_TO_DPOP: {
    status: 401,
    error: 'invalid_token',
    description: 'This access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof made by the bound key (RFC 9449 §7.1).',
  },
  TOKEN_NOT_BOUND: {
    status: 401,
    error: 'invalid_token',
    description: 'This access token is not DPoP-bound: send it as "Authorization: Bearer <token>".',
  },
  DPOP_REQUIRED: {
    status: 401,
    error: 'invalid_token',
    description: 'This API accepts DPoP-bound access tokens only: request the token with a DPoP proof (RFC 9449 §5).',
  },
  INVALID_DPOP_PROOF: {
    status: 401,
    error: 'invalid_dpop_proof',
    description: 'The DPoP proof is not valid for this request: sign a new proof with the bound key for this method and URL, with a fresh jti (RFC 9449 §4.2).',
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    error: 'insufficient_scope',
    description: 'The access token lacks a scope this route needs: request a token with that scope.',
  },
  AUTHORIZATION_SERVER_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'The access token could not be checked because the authorization server did not answer; retry in a few seconds.',
  },
} as const satisfies Record<string, { status: number; error: string; description: string }>;

export type ResourceErrorCode = keyof typeof RESOURCE_ERRORS;
