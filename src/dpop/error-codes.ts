import { defineErrors } from '../shared/errors.js';

/**
 * DPoP failures (RFC 9449). At the token endpoint they are 400s (§5); at a resource server
 * the same failures are 401s with a `WWW-Authenticate: DPoP` challenge (§7.1, §9), hence the
 * `_AT_RESOURCE` twins that `toResourceError` maps to.
 */
export const dpopError = defineErrors({
  INVALID_DPOP_PROOF: {
    status: 400,
    error: 'invalid_dpop_proof',
    description:
      'The DPoP proof is malformed, expired, replayed or does not match this request; sign a fresh proof (new jti, current iat, this method and URL) with the key the token is bound to (RFC 9449 §4.3).',
  },
  USE_DPOP_NONCE: {
    status: 400,
    error: 'use_dpop_nonce',
    description: 'This server requires a DPoP nonce: sign a new proof whose nonce claim is the DPoP-Nonce response header, and retry (RFC 9449 §8).',
  },
  INVALID_DPOP_PROOF_AT_RESOURCE: {
    status: 401,
    error: 'invalid_dpop_proof',
    description:
      'The DPoP proof sent with this access token is malformed, expired, replayed or does not match this request; sign a fresh proof with the key the token is bound to, including ath (RFC 9449 §7.1).',
  },
  USE_DPOP_NONCE_AT_RESOURCE: {
    status: 401,
    error: 'use_dpop_nonce',
    description: 'This resource requires a DPoP nonce: sign a new proof whose nonce claim is the DPoP-Nonce response header, and retry (RFC 9449 §9).',
  },
  REPLAY_CHECK_UNAVAILABLE: {
    status: 503,
    error: 'temporarily_unavailable',
    description:
      'The shared DPoP replay cache (Redis) does not answer, so this proof cannot be checked for replay and is refused; sign a fresh proof and retry after the seconds in Retry-After (RFC 9449 §11.1).',
    expose: true,
  },
});
