import { createHmac, randomInt } from 'node:crypto';

/**
 * Short codes a person reads on one screen and types on another: RFC 8628 user codes and
 * guest transfer codes. Twenty consonants with no vowels (no words spelled by accident) and
 * none of the letters people confuse or mistype (RFC 8628 §6.1): 8 of them are 20^8 ≈ 2.6e10
 * codes (34.5 bits), shown as XXXX-XXXX. That is short enough to type and, with attempts
 * rate-limited per address and per code and the codes living minutes, far beyond guessing.
 */
export const SHORT_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const SHORT_CODE_LENGTH = 8;

/** A fresh code, grouped as XXXX-XXXX, from the CSPRNG. */
export function newShortCode(): string {
  let code = '';
  for (let i = 0; i < SHORT_CODE_LENGTH; i++) code += SHORT_CODE_ALPHABET[randomInt(SHORT_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * What a person typed, in canonical form, or undefined when it cannot be a code: case, spaces
 * and dashes do not matter (RFC 8628 §6.1 asks servers to forgive them).
 */
export function normalizeShortCode(typed: string): string | undefined {
  const letters = typed.toUpperCase().replace(/[\s-]/g, '');
  if (letters.length !== SHORT_CODE_LENGTH) return undefined;
  for (const letter of letters) if (!SHORT_CODE_ALPHABET.includes(letter)) return undefined;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/**
 * A short code as stored: an HMAC under a server key, never the code. A plain hash of a 34-bit
 * code is reversed by trying every code, so a copy of the database alone must not be enough.
 */
export function hashShortCode(key: Buffer, code: string): string {
  return createHmac('sha256', key).update(code, 'utf8').digest('hex');
}

/**
 * Draws a fresh code and hands it, with its hash, to `insert`, which stores it and answers false
 * when the hash collides with a stored one; then draws again. A collision of two live codes is
 * rare (one in 2.6e10 per pair), so a few draws are plenty and running out means a fault.
 */
export async function insertNewShortCode(key: Buffer, insert: (hash: string) => Promise<boolean>, what: string): Promise<string> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const code = newShortCode();
    if (await insert(hashShortCode(key, code))) return code;
  }
  throw new Error(`could not store a ${what}: codes kept colliding`);
}
