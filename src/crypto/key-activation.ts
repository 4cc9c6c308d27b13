/**
 * How long a rotated key is published before it signs. Two things must have happened first:
 * every node has re-read the key table (GUESTPASS_KEY_REFRESH_INTERVAL), or it cannot verify
 * or open what the others issue; and every resource server's cached JWKS has expired, or it
 * refuses a `kid` it has never seen. A cache may keep the JWKS for the max-age we advertise.
 */

/** The `max-age` of `/.well-known/jwks.json` (oauth/discovery.ts sends it). */
export const JWKS_MAX_AGE_SECONDS = 60;

/** For clock differences between nodes and a refresh that runs late. */
export const ACTIVATION_MARGIN_SECONDS = 30;

export interface ActivationTiming {
  /** GUESTPASS_KEY_ACTIVATION_DELAY, when set. */
  keyActivationDelay: number | undefined;
  keyRefreshInterval: number;
}

/** The shortest delay after which no node and no cache that follows max-age lacks the key. */
export function minimumSafeActivationDelaySeconds(keyRefreshInterval: number): number {
  return keyRefreshInterval + JWKS_MAX_AGE_SECONDS;
}

/** The configured delay, or by default the safe minimum plus a margin (30 + 60 + 30 = 120 s). */
export function activationDelaySeconds({ keyActivationDelay, keyRefreshInterval }: ActivationTiming): number {
  return keyActivationDelay ?? minimumSafeActivationDelaySeconds(keyRefreshInterval) + ACTIVATION_MARGIN_SECONDS;
}
