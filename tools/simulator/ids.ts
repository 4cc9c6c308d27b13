import type { Rng } from './prng.js';

/**
 * A UUIDv7 (RFC 9562 §5.7) for `time`, its random bits from the actor's stream: the same
 * shape as the server's ids (crypto/ids.ts), but reproducible per seed.
 */
export function simulatedId(time: number, rng: Rng): string {
  const ms = Math.max(0, Math.floor(time)).toString(16).padStart(12, '0').slice(-12);
  const variant = (8 + rng.int(0, 3)).toString(16);
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${rng.hex(3)}-${variant}${rng.hex(3)}-${rng.hex(12)}`;
}

/**
 * An `account_key` as the accounts feature emits it: 22 base64url characters of an HMAC of
 * the normalised address (accounts/email-address.ts). Here, 132 random bits stand in for it.
 */
export function simulatedAccountKey(rng: Rng): string {
  return Buffer.from(rng.hex(34), 'hex').toString('base64url').slice(0, 22);
}
