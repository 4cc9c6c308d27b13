import { RESOURCE_ERRORS, type ResourceErrorCode } from './error-codes.js';

/** The `WWW-Authenticate` scheme a refusal challenges with (RFC 6750 §3, RFC 9449 §7.1). */
export type AuthScheme = 'Bearer' | 'DPoP';

/** DPoP proof algorithms this package verifies; announced in DPoP challenges (`algs`). */
export const DPOP_ALGORITHMS: readonly string[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

export interface ChallengeOptions {
  scheme?: AuthScheme;
  /** Scopes the route needs, for `insufficient_scope` (RFC 6750 §3). */
  scope?: readonly string[];
  realm?: string;
}

/**
 * A refusal: `status`, the RFC 6750 / RFC 9449 `error`, a description to act on and the
 * `WWW-Authenticate` challenge. `toJSON()` is the RFC 6749-style body.
 */
export class GuestpassAuthError extends Error {
  override name = 'GuestpassAuthError';
  readonly status: number;
  /** Express and http-errors read `statusCode` too. */
  readonly statusCode: number;
  readonly error: string;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ResourceErrorCode,
    description?: string,
    { scheme = 'Bearer', scope, realm = 'api' }: ChallengeOptions = {},
  ) {
    const spec = RESOURCE_ERRORS[code];
    super(description ?? spec.description);
    this.status = this.statusCode = spec.status;
    this.error = spec.error;
    this.headers = spec.status === 401 || spec.status === 403 ? { 'WWW-Authenticate': challenge(code, this.error, { scheme, scope, realm }) } : {};
    if (spec.status === 503) this.headers['Retry-After'] = '5';
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/**
 * RFC 6750 §3: a request without credentials gets a bare challenge (no error code), any other
 * refusal names its error; a DPoP challenge lists the accepted algorithms (RFC 9449 §7.1).
 */
function challenge(code: ResourceErrorCode, error: string, { scheme, scope, realm }: Required<Omit<ChallengeOptions, 'scope'>> & ChallengeOptions): string {
  const parts = [`realm="${realm}"`];
  if (code !== 'TOKEN_MISSING') parts.push(`error="${error}"`);
  if (scope && scope.length > 0) parts.push(`scope="${scope.join(' ')}"`);
  if (scheme === 'DPoP') parts.push(`algs="${DPOP_ALGORITHMS.join(' ')}"`);
  return `${scheme} ${parts.join(', ')}`;
}
