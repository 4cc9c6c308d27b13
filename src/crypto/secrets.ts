import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Client secrets carry 256 bits of entropy; the prefix makes a leaked one easy to grep for. */
export function generateClientSecret(): string {
  return `gps_${randomBytes(32).toString('base64url')}`;
}

/**
 * Client secrets are hashed with plain SHA-256, not argon2 or bcrypt. Slow hashes protect
 * low-entropy human passwords from guessing; a 256-bit random secret cannot be guessed at any
 * hash speed, so a slow hash would only make every token request cost ~50 ms of CPU and hand
 * attackers a cheap denial of service. (The same reasoning as GitHub's token storage.)
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/**
 * The SHA-256 of a presented secret as bytes, for a constant-time comparison: the one-shot
 * `crypto.hash` without a hex round trip, as every client_credentials request checks one
 * (a Hash object and hex string per check were 2.7% of its CPU).
 */
export function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const presentedHash = secretDigest(presented);
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presentedHash.length && timingSafeEqual(presentedHash, stored);
}
