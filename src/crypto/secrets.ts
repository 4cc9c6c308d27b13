import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret against a stored hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const presentedHash = Buffer.from(hashSecret(presented), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presentedHash.length && timingSafeEqual(presentedHash, stored);
}
