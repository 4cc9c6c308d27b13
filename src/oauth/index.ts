/**
 * The OAuth 2.0 core, as other features use it: access-token checks at resource endpoints, the
 * facts of a token request (client, network, DPoP key), the grant contract of /oauth/token,
 * scope and audience rules, and the response helpers. Its routes are in feature.ts.
 */
export type { AccessTokenClaims } from './access-token.js';
export { presentedToken, requireAccessToken, verifyResourceToken, type PresentedToken } from './bearer.js';
export { advertiseDpopNonce, dpopViolationReporter, publicUrl, verifyTokenRequestProof } from './dpop-binding.js';
export { oauthError } from './error-codes.js';
export type { Grant, GrantRequest, TokenResponse } from './grants/types.js';
export { gatherFacts, type RequestFacts } from './request-facts.js';
export { noStore } from './responses.js';
export { resolveAudience, resolveScope } from './scope.js';
