/** DPoP (RFC 9449): proof verification, server nonces and replay protection. */
export { dpopError } from './error-codes.js';
export { dpopHeaderValue } from './header.js';
export { DpopNonces, type DpopNoncesOptions } from './nonce.js';
export { accessTokenHash, normalizeHtu } from './proof-claims.js';
export { DEFAULT_DPOP_ALGORITHMS, DpopVerifier, type DpopExpectations, type DpopVerification, type DpopVerifierOptions, type DpopViolation } from './proof.js';
export { MemoryDpopReplayStore, type DpopReplayStore, type MemoryDpopReplayStoreOptions } from './replay-cache.js';
export { RedisDpopReplayStore, type RedisDpopReplayStoreOptions } from './redis-replay-store.js';
