/** RFC 6749 error codes Guestpass answers with, and the SDK's own `network_error`. */
export type GuestpassErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'access_denied'
  | 'rate_limited'
  | 'precondition_failed'
  | 'not_found'
  | 'server_error'
  | 'network_error'
  | (string & {});

/**
 * Every failure of a Guestpass call: `error` is the server's RFC 6749 `error` code (switch on
 * it), `message` its `error_description`, `status` the HTTP status (0 when no answer came).
 */
export class GuestpassError extends Error {
  override readonly name = 'GuestpassError';
  constructor(
    readonly error: GuestpassErrorCode,
    description: string,
    readonly status = 0,
    /** Seconds from `Retry-After` on a 429 or 503. */
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

/** The error a failed response carries, from its RFC 6749 body or else its status. */
export async function errorOf(response: Response): Promise<GuestpassError> {
  const body = (await response.json().catch(() => ({}))) as { error?: string; error_description?: string };
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  return new GuestpassError(
    body.error ?? (response.status >= 500 ? 'server_error' : 'invalid_request'),
    body.error_description ?? `Guestpass answered ${response.status}.`,
    response.status,
    retryAfter,
  );
}
