/**
 * Guest sessions, as other features use them: finding the caller's session from a session
 * token or cookie, reading and writing its metadata, ending sessions (the revoker, the one
 * writer of `session.revoked`), the refresh grant that app/ hands to /oauth/token, and the user
 * records guests live in. Its routes are in feature.ts.
 */
export { readSessionCookie } from './cookie.js';
export { resolveSessionCaller, sessionFromTokenRequest, type SessionCaller } from './credentials.js';
export { refreshTokenGrant } from './refresh-grant.js';
export type { RevocationBatch, RevocationTarget, SessionRevoker } from './revoker.js';
export { readSessionData, writeMetadata, type SessionData } from './session-data.js';
export { looksLikeSessionToken } from './session-token.js';
export type { GuestTokenResponse } from './types.js';
export type { Metadata, UserStore } from './user-store.js';
