import type { GuestpassError } from '../shared/errors.js';
import { dpopError } from './error-codes.js';

/**
 * At a resource server DPoP failures are 401s whose `WWW-Authenticate: DPoP` challenge names
 * the error and the accepted algorithms (RFC 9449 §7.1, §9); the description and any
 * `DPoP-Nonce` header carry over. Other errors pass through unchanged.
 */
export function toResourceError(error: GuestpassError, algorithms: readonly string[]): GuestpassError {
  const code =
    error.code === 'INVALID_DPOP_PROOF' ? 'INVALID_DPOP_PROOF_AT_RESOURCE' : error.code === 'USE_DPOP_NONCE' ? 'USE_DPOP_NONCE_AT_RESOURCE' : undefined;
  if (code === undefined) return error;
  const challenge = `DPoP error="${error.error}", algs="${algorithms.join(' ')}"`;
  return dpopError(code, error.message, { ...error.headers, 'WWW-Authenticate': challenge });
}
