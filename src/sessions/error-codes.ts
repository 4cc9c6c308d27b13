import { defineErrors } from '../shared/errors.js';

/** Guest-session failures. Token failures are `invalid_grant` (RFC 6749 §5.2) and say why. */
export const sessionError = defineErrors({
  INVALID_SESSION_TOKEN: {
    status: 400,
    error: 'invalid_grant',
    description: 'The session token is malformed, was not issued by this server, or was altered; start a new session with POST /anonymous/token.',
  },
  SESSION_EXPIRED: {
    status: 400,
    error: 'invalid_grant',
    description: 'The session has expired; start a new session with POST /anonymous/token.',
  },
  SESSION_REVOKED: {
    status: 400,
    error: 'invalid_grant',
    description: 'The session has been revoked; start a new session with POST /anonymous/token.',
  },
  SESSION_TOKEN_REUSED: {
    status: 400,
    error: 'invalid_grant',
    description:
      'This session token was already exchanged for a newer one, so the session has been revoked (RFC 9700 §4.14.2); always keep the newest session token.',
  },
  SESSION_CLIENT_MISMATCH: {
    status: 400,
    error: 'invalid_grant',
    description: 'This session token was issued to another client, so the session has been revoked (RFC 6749 §6).',
  },
  GUESTS_DISABLED: {
    status: 400,
    error: 'unauthorized_client',
    description: 'Guest sessions are disabled for this client; enable them in the client’s guest settings.',
  },
  USER_ID_NOT_ALLOWED: {
    status: 400,
    error: 'invalid_request',
    description: 'Only confidential clients may bring their own user_id; public clients get a generated one.',
  },
  USER_ID_TAKEN: {
    status: 409,
    error: 'invalid_request',
    description: 'This user_id belongs to a registered user, not a guest; guest sessions cannot be created for it.',
  },
  METADATA_TOO_LARGE: {
    status: 400,
    error: 'invalid_request',
    description: 'The metadata is larger than this client allows.',
  },
  METADATA_INVALID: {
    status: 400,
    error: 'invalid_request',
    description: 'The metadata does not match the client’s metadata schema.',
  },
  PRECONDITION_FAILED: {
    status: 412,
    error: 'precondition_failed',
    description: 'The metadata changed since you read it (If-Match does not match the ETag); read it again, re-apply your change and retry.',
  },
  PRECONDITION_REQUIRED: {
    status: 428,
    error: 'precondition_required',
    description: 'This client requires If-Match on metadata writes; send the ETag from GET /anonymous/session.',
  },
  DPOP_REQUIRED: {
    status: 400,
    error: 'invalid_dpop_proof',
    description: 'This session or client requires DPoP: send a DPoP proof header with the request (RFC 9449).',
  },
  SESSION_CREDENTIAL_MISSING: {
    status: 401,
    error: 'invalid_token',
    description: 'Send the session’s access token or its session token as "Authorization: Bearer <token>", or use cookie mode.',
  },
  CULL_IN_PROGRESS: {
    status: 409,
    error: 'invalid_request',
    description:
      'A cull is already running (on this node or, with PostgreSQL, another one); it deletes what this one would. Ask again once it has finished, or use dry_run to see what is stale.',
  },
  INVALID_USER_QUERY: {
    status: 400,
    error: 'invalid_request',
    description:
      'The user listing query is not valid: times are epoch milliseconds or ISO 8601, limit is 1 to 200, and cursor is next_cursor from the previous page.',
  },
  SESSION_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No stored state exists for this session id; a session gets a row only once it needs state (a refresh, metadata, a revocation).',
  },
  TRANSFER_DISABLED: {
    status: 400,
    error: 'unauthorized_client',
    description: 'Transfer codes are off for this client; turn them on with guest.transfer_codes (PATCH /admin/api/clients/:id).',
  },
  TRANSFER_CODE_INVALID: {
    status: 400,
    error: 'invalid_grant',
    description: 'This transfer code is unknown, has expired or was already used; create a new one on the first device (POST /anonymous/transfer).',
  },
  TRANSFER_SOURCE_ENDED: {
    status: 400,
    error: 'invalid_grant',
    description: 'The session that created this transfer code has ended; sign in again on the first device and create a new code.',
  },
  TRANSFER_URL_NOT_ALLOWED: {
    status: 400,
    error: 'invalid_request',
    description: 'url must be an http(s) URL on one of the client’s allowed origins.',
  },
  SESSION_NOT_OURS: {
    status: 404,
    error: 'not_found',
    description: 'No live session with this id belongs to the caller’s user; list them with GET /anonymous/session.',
  },
});
