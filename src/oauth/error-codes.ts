import { defineErrors } from '../shared/errors.js';

/** OAuth 2.0 failures (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009, RFC 7662, RFC 8707). */
export const oauthError = defineErrors({
  INVALID_REQUEST: {
    status: 400,
    error: 'invalid_request',
    description: 'The request is missing a required parameter or has one that is not valid.',
  },
  INVALID_CLIENT: {
    status: 401,
    error: 'invalid_client',
    description:
      'Client authentication failed: the client is unknown, the secret is wrong or expired, or no credentials were sent. Send client_id and client_secret (HTTP Basic or form fields).',
  },
  MULTIPLE_CLIENT_AUTH: {
    status: 400,
    error: 'invalid_request',
    description: 'Use one client authentication method per request: either HTTP Basic or client_id/client_secret in the body, not both.',
  },
  CONFIDENTIAL_CLIENT_REQUIRED: {
    status: 401,
    error: 'invalid_client',
    description: 'This endpoint needs a confidential client; authenticate with its client_id and client_secret.',
  },
  UNSUPPORTED_GRANT_TYPE: {
    status: 400,
    error: 'unsupported_grant_type',
    description: 'This grant_type is not supported; the discovery document lists grant_types_supported.',
  },
  UNAUTHORIZED_CLIENT: {
    status: 400,
    error: 'unauthorized_client',
    description: 'This client is not allowed to use this grant type; enable it in the client settings.',
  },
  INVALID_SCOPE: {
    status: 400,
    error: 'invalid_scope',
    description: 'The requested scope is not one this client may request.',
  },
  INVALID_TARGET: {
    status: 400,
    error: 'invalid_target',
    description: 'The requested audience is not one of this client’s audiences.',
  },
  TOKEN_NOT_ISSUED_TO_CLIENT: {
    status: 400,
    error: 'unauthorized_client',
    description: 'This token was issued to another client; only that client may revoke it (RFC 7009 §2.1).',
  },
  TOKEN_MISSING: {
    status: 401,
    error: 'invalid_token',
    description: 'This endpoint needs an access token: send it as "Authorization: Bearer <token>".',
  },
  INVALID_TOKEN: {
    status: 401,
    error: 'invalid_token',
    description: 'The access token is expired, revoked, malformed or not issued by this server; get a new one.',
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    error: 'insufficient_scope',
    description: 'The access token lacks the scope this endpoint needs.',
  },
});
