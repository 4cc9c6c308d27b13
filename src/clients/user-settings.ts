import { clientError } from './error-codes.js';

/**
 * What a client's registered users get, beside `guest` for its guests. An object so that more
 * registered-user settings can join `scopes` without changing the shape.
 */
export interface UserSettings {
  /**
   * Scopes a registered user's access tokens may carry; a request without `scope` gets all of
   * them. Each must be one of the client's `scopes`. Null follows `guest.scopes`, whatever they
   * are at the time, so a client that never sets it treats guests and registered users alike.
   * @default null
   */
  scopes: string[] | null;
}

export const DEFAULT_USER_SETTINGS: UserSettings = { scopes: null };

/** The snake_case shape of user settings in the admin API. */
export interface UserSettingsJson {
  scopes?: string[] | null;
}

const invalid = (description: string) => clientError('INVALID_CLIENT_METADATA', description);

export function userSettingsFromJson(json: UserSettingsJson): Partial<UserSettings> {
  const unknown = Object.keys(json).filter((key) => key !== 'scopes');
  if (unknown.length > 0) throw invalid(`Unknown user setting "${unknown[0]}"; known: scopes.`);
  return json.scopes !== undefined ? { scopes: json.scopes } : {};
}

export function userSettingsToJson(settings: UserSettings): Required<UserSettingsJson> {
  return { scopes: settings.scopes };
}

/**
 * Fills defaults and checks that every user scope is one the client registered: a registered
 * user's token never carries a scope the client itself could not be given. Admin scopes are
 * only ever registered by admin clients, and no user holds them whatever the client.
 */
export function validateUserSettings(input: Partial<UserSettings> | undefined, clientScopes: readonly string[], adminScopes: readonly string[]): UserSettings {
  const settings = { ...DEFAULT_USER_SETTINGS, ...input };
  if (settings.scopes === null) return settings;
  if (!Array.isArray(settings.scopes) || !settings.scopes.every((scope) => typeof scope === 'string')) {
    throw invalid('user.scopes must be a list of scope names, or null to follow guest.scopes.');
  }
  const scopes = [...new Set(settings.scopes)];
  for (const scope of scopes) {
    if (adminScopes.includes(scope)) throw invalid(`Users can never hold "${scope}".`);
    if (!clientScopes.includes(scope)) {
      throw invalid(
        `user.scopes has "${scope}", which is not one of the client's scopes (${clientScopes.join(' ') || 'none'}); add it to scopes, or remove it from user.scopes.`,
      );
    }
  }
  return { ...settings, scopes };
}

/** The scopes a registered user of this client may get: `user.scopes`, or the guest scopes when unset. */
export function userScopesOf(client: { user: UserSettings; guest: { scopes: string[] } }): readonly string[] {
  return client.user.scopes ?? client.guest.scopes;
}
