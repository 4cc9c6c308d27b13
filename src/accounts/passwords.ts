/**
 * Password hashing and policy for registered users.
 *
 * Passwords are normalised to NFKC before hashing and before the policy check, so the same
 * passphrase typed on two keyboards (composed or decomposed accents, full-width digits) is the
 * same password (NIST SP 800-63B §5.1.1.2).
 */
import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import { SECLISTS_10K_LONG, WELL_KNOWN_LONG } from './common-passwords.js';
import { DEFAULT_PASSWORD_HASH_COST, type PasswordHashCost } from './password-cost.js';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** Hashes and verifies passwords at one cost, and spends that cost when there is no hash to verify. */
export class PasswordHasher {
  private readonly options: { algorithm: Algorithm; memoryCost: number; timeCost: number; parallelism: 1 };
  /**
   * A hash of 32 random bytes that were thrown away, made at this cost: verifying against it
   * costs exactly what verifying a real user's hash costs, and no password matches it. Made
   * once, at start-up, so the first unknown address is not slower than the next ones.
   */
  private readonly dummyHash: Promise<string>;

  constructor(cost: PasswordHashCost = DEFAULT_PASSWORD_HASH_COST) {
    // Algorithm.Argon2id: the package declares an ambient const enum, which verbatimModuleSyntax
    // cannot read, so its value is written out (the test checks hashes start with $argon2id$).
    this.options = { algorithm: 2 as Algorithm, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 };
    this.dummyHash = hash(randomBytes(32).toString('base64url'), this.options);
    // A failure shows at the first dummy verification (which then answers false); not as an unhandled rejection.
    this.dummyHash.catch(() => {});
  }

  /** The parameters every new hash is made with. */
  get cost(): PasswordHashCost {
    return { memoryCost: this.options.memoryCost, timeCost: this.options.timeCost };
  }

  /** An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt. */
  hash(password: string): Promise<string> {
    return hash(normalize(password), this.options);
  }

  /**
   * True when `password` matches `passwordHash`; false for a wrong password or a malformed
   * hash. The hash names the cost it was made with, so hashes made at another cost still verify.
   */
  async verify(passwordHash: string, password: string): Promise<boolean> {
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
  async dummyVerify(password: string): Promise<false> {
    await this.verify(await this.dummyHash.catch(() => ''), password);
    return false;
  }

  /** The stored dummy hash, for the test that checks it costs what a real one does. */
  dummy(): Promise<string> {
    return this.dummyHash;
  }

  /** True when a stored hash was made with other parameters than this hasher's: rehash it after a successful login. */
  needsRehash(passwordHash: string): boolean {
    try {
      const used = parseOptions(passwordHash);
      return (
        used.algorithm !== this.options.algorithm ||
        used.memoryCost !== this.options.memoryCost ||
        used.timeCost !== this.options.timeCost ||
        used.parallelism !== this.options.parallelism
      );
    } catch {
      return true;
    }
  }
}

function normalize(password: string): string {
  return password.normalize('NFKC');
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
