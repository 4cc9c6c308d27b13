import { defineErrors } from '../../shared/errors.js';

/**
 * ID-token linking failures. A token that fails a check is `invalid_grant` (RFC 6749 §5.2: the
 * presented grant is invalid) and the code says which check, without echoing any claim value.
 * A failure on the issuer's side is a 5xx, so its description stays in the logs.
 */
export const idTokenError = defineErrors({
  LINKING_DISABLED: {
    status: 400,
    error: 'unsupported_token_type',
    description: 'ID-token linking is off because no trusted issuer is configured; list your OpenID Connect provider in GUESTPASS_TRUSTED_ISSUERS.',
  },
  ID_TOKEN_MALFORMED: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The id_token is not a signed JWT with an iss claim; send the ID token exactly as your OpenID Connect provider returned it (not the access token).',
  },
  ISSUER_NOT_TRUSTED: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The ID token’s issuer (iss) is not one of GUESTPASS_TRUSTED_ISSUERS; add it there, spelled exactly as in the token, or sign in with a trusted provider.',
  },
  ID_TOKEN_SIGNATURE_INVALID: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The ID token’s signature does not verify with the issuer’s published keys, or it uses a symmetric or unlisted algorithm; send the token unaltered, as the provider signed it.',
  },
  ID_TOKEN_EXPIRED: {
    status: 400,
    error: 'invalid_grant',
    description: 'The ID token has expired (exp) or was issued too long ago (iat); sign in with the provider again and send the fresh ID token at once.',
  },
  ID_TOKEN_AUDIENCE_MISMATCH: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The ID token was issued to another client (aud, or azp when there are several audiences); request it with the client id configured for this issuer in GUESTPASS_TRUSTED_ISSUERS.',
  },
  ID_TOKEN_CLAIMS_INVALID: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The ID token lacks a required claim (sub, exp, iat) or has an iat or nbf in the future; check the provider’s configuration and the clocks of both servers.',
  },
  NONCE_REQUIRED: {
    status: 400,
    error: 'invalid_request',
    description: 'This issuer requires a nonce: send the nonce you put in the authorization request along with the ID token (OpenID Connect Core §3.1.2.1).',
  },
  NONCE_MISMATCH: {
    status: 400,
    error: 'invalid_grant',
    description:
      'The ID token’s nonce does not match the nonce sent with it, so it may have been issued for another sign-in; start a new sign-in with a fresh nonce.',
  },
  ISSUER_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    description:
      'The trusted issuer’s discovery document or signing keys (JWKS) could not be fetched in time; check that the server can reach the issuer, then retry.',
  },
  ISSUER_MISCONFIGURED: {
    status: 502,
    error: 'server_error',
    description:
      'The trusted issuer’s discovery document is unusable: its issuer differs from the configured one (OpenID Connect Discovery §4.3), or it lacks an https jwks_uri or an asymmetric ID-token signing algorithm; fix the issuer URL in GUESTPASS_TRUSTED_ISSUERS.',
  },
});

export type IdTokenErrorCode = keyof typeof idTokenError.catalogue;
