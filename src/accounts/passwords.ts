/**
 * Password hashing and policy for registered users.
 *
 * Passwords are normalised to NFKC before hashing and before the policy check, so the same
 * passphrase typed on two keyboards (composed or decomposed accents, full-width digits) is the
 * same password (NIST SP 800-63B §5.1.1.2).
 */
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import { SECLISTS_10K_LONG, WELL_KNOWN_LONG } from './common-passwords.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

// argon2id with OWASP's first recommended configuration (Password Storage Cheat Sheet:
// m = 19 MiB, t = 2, p = 1). argon2id resists both GPU cracking (data-dependent passes) and
// side channels (data-independent first pass), RFC 9106 §4. 19 MiB per hash keeps a burst of
// logins from exhausting memory on a small server; about 15 ms per hash on one core here.
const HASH_OPTIONS = {
  // Algorithm.Argon2id: the package declares an ambient const enum, which verbatimModuleSyntax
  // cannot read, so its value is written out (the test checks hashes start with $argon2id$).
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

// A hash of 32 random bytes that were thrown away, made with HASH_OPTIONS. Verifying against it
// costs exactly what verifying a real user's hash costs, and no password matches it.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$1Eq8H2w7MJrcMWstgMA5QQ$Lvi/89UzVoEnHr/thaEw5l11waav1btqwy+WChbRaTc';

function normalize(password: string): string {
  return password.normalize('NFKC');
}

/** An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  return hash(normalize(password), HASH_OPTIONS);
}

/** True when `password` matches `passwordHash`; false for a wrong password or a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, normalize(password));
  } catch {
    return false;
  }
}

/**
 * Spends the time of one verification and returns false. Call it when the address has no
 * account (or no password): otherwise "unknown address" answers in microseconds and "wrong
 * password" in milliseconds, and the difference tells an attacker which addresses are
 * registered (account enumeration by timing).
 */
export async function dummyVerify(password: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, password);
  return false;
}

/** True when a stored hash was made with other parameters than today's: rehash it after a successful login. */
export function needsRehash(passwordHash: string): boolean {
  try {
    const used = parseOptions(passwordHash);
    return (
      used.algorithm !== HASH_OPTIONS.algorithm ||
      used.memoryCost !== HASH_OPTIONS.memoryCost ||
      used.timeCost !== HASH_OPTIONS.timeCost ||
      used.parallelism !== HASH_OPTIONS.parallelism
    );
  } catch {
    return true;
  }
}

let commonPasswords: Set<string> | undefined;

/** Whether the password is on the bundled list of common passwords (case-insensitive). */
export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set([...SECLISTS_10K_LONG, ...WELL_KNOWN_LONG]);
  return commonPasswords.has(normalize(password).toLowerCase());
}

/**
 * Undefined when the password is acceptable, otherwise one sentence the user can act on.
 * Length counts Unicode code points, so an emoji or an accented letter is one character.
 */
export function checkPasswordPolicy(password: string): string | undefined {
  const normalized = normalize(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH)
    return `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words make a strong one that is easy to remember.`;
  if (length > PASSWORD_MAX_LENGTH) return `Choose a password of at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (isCommonPassword(normalized)) return 'This password is one of the most common ones, which attackers try first; choose another.';
  return undefined;
}

/** For tests: the parameters every new hash is made with. */
export const PASSWORD_HASH_OPTIONS = HASH_OPTIONS;
export const DUMMY_PASSWORD_HASH = DUMMY_HASH;
