import { clientError } from './error-codes.js';
import { validateGuestSettings } from './guest-settings.js';
import { validateUserSettings } from './user-settings.js';
import { ADMIN_SCOPES, GRANT_TYPES, type Client, type GrantType, type NewClient } from './types.js';

/** RFC 6749 §3.3: a scope token is one or more %x21 / %x23-5B / %x5D-7E characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function checkScopeToken(scope: string): void {
  if (!SCOPE_TOKEN.test(scope)) throw clientError('INVALID_CLIENT_METADATA', `Scope "${scope}" contains characters RFC 6749 §3.3 does not allow.`);
}

/** A Web origin as browsers send it: scheme, host and optional port, nothing else. */
export function normalizeOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw clientError('INVALID_CLIENT_METADATA', `Origin "${value}" is not a URL; use the form https://shop.example.`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.origin !== value.replace(/\/$/, '')) {
    throw clientError('INVALID_CLIENT_METADATA', `Origin "${value}" must be scheme://host[:port] with no path, such as https://shop.example.`);
  }
  return url.origin;
}

/** A client's settings, validated and with defaults filled in. */
export type ClientSettings = Omit<Client, 'id' | 'createdAt' | 'updatedAt'>;

export function validateNewClient(input: NewClient): ClientSettings {
  const name = input.name.trim();
  if (name === '' || name.length > 200) throw clientError('INVALID_CLIENT_METADATA', 'A client needs a name of 1 to 200 characters.');
  // Control characters garble listings and logs, and PostgreSQL text cannot hold NUL at all.
  if (/\p{Cc}/u.test(name)) throw clientError('INVALID_CLIENT_METADATA', 'A client name cannot contain control characters.');
  if (input.type !== 'public' && input.type !== 'confidential') {
    throw clientError('INVALID_CLIENT_METADATA', 'Client type must be "public" or "confidential".');
  }
  const isAdmin = input.isAdmin ?? false;
  if (isAdmin && input.type !== 'confidential') {
    throw clientError('INVALID_CLIENT_METADATA', 'Admin clients must be confidential: admin tokens come from client_credentials.');
  }
  const scopes = [...new Set(input.scopes ?? [])];
  for (const scope of scopes) {
    checkScopeToken(scope);
    if ((ADMIN_SCOPES as readonly string[]).includes(scope) && !isAdmin) {
      throw clientError('INVALID_CLIENT_METADATA', `Scope "${scope}" is reserved for admin clients; create the client with --admin.`);
    }
  }
  const guest = validateGuestSettings(input.guest);
  guest.scopes = [...new Set(guest.scopes)];
  for (const scope of guest.scopes) {
    checkScopeToken(scope);
    if ((ADMIN_SCOPES as readonly string[]).includes(scope)) throw clientError('INVALID_CLIENT_METADATA', `Guests can never hold "${scope}".`);
  }
  if (isAdmin) for (const scope of ADMIN_SCOPES) if (!scopes.includes(scope)) scopes.push(scope);
  const user = validateUserSettings(input.user, scopes, ADMIN_SCOPES);

  const defaultGrants: GrantType[] = input.type === 'confidential' ? ['client_credentials', 'refresh_token'] : ['refresh_token'];
  const grantTypes = [...new Set(input.grantTypes ?? defaultGrants)];
  for (const grant of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) throw clientError('INVALID_CLIENT_METADATA', `Unknown grant type "${grant}".`);
    if (grant === 'client_credentials' && input.type === 'public') {
      throw clientError('INVALID_CLIENT_METADATA', 'Public clients cannot use client_credentials: they cannot keep a secret.');
    }
  }
  const audiences = [...new Set(input.audiences ?? [])];
  for (const audience of audiences) {
    if (audience.trim() === '' || audience.length > 500) throw clientError('INVALID_CLIENT_METADATA', 'An audience must be 1 to 500 characters.');
  }
  const ttl = input.accessTokenTtl ?? null;
  if (ttl !== null && (!Number.isInteger(ttl) || ttl < 30 || ttl > 3600)) {
    throw clientError('INVALID_CLIENT_METADATA', 'Access-token lifetime must be a whole number of seconds from 30 to 3600.');
  }
  return {
    name,
    type: input.type,
    isAdmin,
    allowedOrigins: [...new Set((input.allowedOrigins ?? []).map(normalizeOrigin))],
    grantTypes,
    scopes,
    audiences,
    accessTokenTtl: ttl,
    guest,
    user,
  };
}
