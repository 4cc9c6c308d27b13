import { createRemoteJWKSet } from 'jose';

export interface JwksOptions {
  /** @default `${issuer}/.well-known/jwks.json` */
  uri?: string;
  /** Milliseconds a fetched key set is used before it is fetched again. @default 600_000 (10 min) */
  cacheMaxAge?: number;
  /**
   * Milliseconds after a fetch during which a token whose `kid` is unknown does not cause
   * another fetch (it is refused): rotation costs one fetch, a flood of forged kids costs none.
   * @default 30_000
   */
  cooldown?: number;
  /** Milliseconds to wait for the key set. @default 5000 */
  timeout?: number;
}

export type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Key sets are shared per URL and settings, so `verifyAccessToken` called with a fresh
 * options object on every request still fetches the JWKS once per `cacheMaxAge`, and on an
 * unknown `kid` (a rotation) at most once per `cooldown`. jose implements both rules.
 */
const keySets = new Map<string, KeySet>();

export function keySetFor(issuer: string, { uri, cacheMaxAge = 600_000, cooldown = 30_000, timeout = 5000 }: JwksOptions = {}): KeySet {
  const url = uri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
  const key = `${url} ${cacheMaxAge} ${cooldown} ${timeout}`;
  let keySet = keySets.get(key);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(url), { cacheMaxAge, cooldownDuration: cooldown, timeoutDuration: timeout });
    keySets.set(key, keySet);
  }
  return keySet;
}
