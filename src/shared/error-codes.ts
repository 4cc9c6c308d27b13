import { defineErrors } from './errors.js';

/** Failures that belong to HTTP itself rather than to one feature. */
export const httpError = defineErrors({
  INVALID_BODY: {
    status: 400,
    error: 'invalid_request',
    description: 'The request body does not match the endpoint schema; see /docs for the accepted fields.',
  },
  MALFORMED_BODY: {
    status: 400,
    error: 'invalid_request',
    description: 'The request body could not be parsed; send valid JSON or application/x-www-form-urlencoded.',
  },
  JSON_TOO_DEEP: {
    status: 400,
    error: 'invalid_request',
    description: 'The JSON nests objects and arrays deeper than the server accepts (GUESTPASS_JSON_MAX_DEPTH, 32 by default); flatten it.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    error: 'invalid_request',
    description: 'This Content-Type is not accepted here; send application/x-www-form-urlencoded or application/json.',
  },
  BODY_TOO_LARGE: {
    status: 413,
    error: 'invalid_request',
    description: 'The request body is larger than this endpoint accepts.',
  },
  MALFORMED_REQUEST: {
    status: 400,
    error: 'invalid_request',
    description: 'The HTTP request could not be parsed: check the method, the header syntax and the percent-encoding of the URL.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    error: 'invalid_request',
    description: 'The URL and headers together are larger than the server accepts (16 KiB); shorten them.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    error: 'invalid_request',
    description: 'The request did not arrive in time; send it again.',
  },
  NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'There is no such endpoint; the discovery document at /.well-known/oauth-authorization-server lists them.',
  },
  RATE_LIMITED: {
    status: 429,
    error: 'rate_limited',
    description: 'Too many requests; wait for the number of seconds in Retry-After and try again.',
  },
  LIMITER_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    description:
      'The shared rate limiter (Redis) does not answer, and this endpoint is not served without it (it guards passwords and codes); retry after the seconds in Retry-After.',
    expose: true,
  },
  SERVER_ERROR: {
    status: 500,
    error: 'server_error',
    description: 'The server could not complete the request; try again later.',
  },
  SHUTTING_DOWN: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'This server is shutting down; send the request again after the seconds in Retry-After (another instance may answer it).',
    expose: true,
  },
  NOT_READY: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'The database is not reachable; the server will answer again once it is.',
    expose: true,
  },
});
