/**
 * The OAuth 2.0 core, as other features use it: the API its factory builds (access-token checks
 * at resource endpoints, the facts of a token request, DPoP binding), the grant and revocation
 * contracts that other features plug into /oauth/token and /oauth/revoke, scope and audience
 * rules, and the response helpers. Its factory and routes are in feature.ts.
 */
export type { AccessTokenClaims, AccessTokens } from './access-token.js';
export type { OauthApi } from './api.js';
export { presentedToken, type AccessTokenCheck, type PresentedToken, type RequireAccessTokenOptions } from './bearer.js';
export type { ClientAuthenticator } from './client-auth.js';
export type { DpopSubject } from './dpop-binding.js';
export { oauthError } from './error-codes.js';
export type { Grant, GrantRequest, TokenResponse } from './grants/types.js';
export type { OauthPlugins, RevocableToken } from './plugins.js';
export type { RequestFacts } from './request-facts.js';
export { noStore } from './responses.js';
export { resolveAudience, resolveScope, scopeRefusedEmitter, type ScopeRefusalReport } from './scope.js';
