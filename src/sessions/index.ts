/**
 * Guest sessions, as other features use them: the API its factory builds (finding the caller's
 * session from a session token or cookie, reading and writing its metadata, ending sessions
 * through the revoker, the one writer of `session.revoked`, and the user records guests live
 * in), and the pure helpers and types around it. Its factory and routes are in feature.ts.
 */
export type { SessionsApi } from './api.js';
export { readSessionCookie } from './cookie.js';
export type { SessionCaller } from './credentials.js';
export { erasedUserHash } from './erased-store.js';
export type { SessionErasure, SessionsExport, UserDataExport } from './erasure.js';
export type { RevocationBatch, RevocationTarget, SessionRevoker } from './revoker.js';
export type { GuestSessionService } from './service.js';
export type { MetadataWrite, SessionData } from './session-data.js';
export { looksLikeSessionToken } from './session-token.js';
export type { GuestTokenResponse } from './types.js';
export type { Metadata, UserRecord, UserStore } from './user-store.js';
export type { SessionView } from './views.js';
