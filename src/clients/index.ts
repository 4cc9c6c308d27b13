/**
 * Registered applications, as other features use them: a client's record and how to look it up
 * per request, its Origin rule, its metadata schema, the longest session a client may configure
 * and its error catalogue. The store, the cache, the service, CORS and the admin routes are
 * built by createClients in feature.ts, which app/ calls; nothing here registers a route.
 */
export { ClientCache, matchesLiveSecret, type ClientLookup } from './cache.js';
export { clientError } from './error-codes.js';
export { DEFAULT_GUEST_SETTINGS, MAX_SESSION_TTL_SECONDS, retentionOf } from './guest-settings.js';
export { cachedClient } from './lookup.js';
export { compileMetadataSchema, UnusableSchemaError } from './metadata-schema.js';
export { checkClientOrigin } from './origin.js';
export type { ClientStore } from './store.js';
export type { Client, ClientType, GrantType } from './types.js';
export { userScopesOf } from './user-settings.js';
