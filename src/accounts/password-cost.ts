/** The cost of password hashes, an option of its own module: reading the configuration loads no hashing code and no password list. */

/** argon2id's memory (KiB) and passes; one lane, since a server hashes many passwords at once. */
export interface PasswordHashCost {
  memoryCost: number;
  timeCost: number;
}

// argon2id with OWASP's first recommended configuration (Password Storage Cheat Sheet:
// m = 19 MiB, t = 2, p = 1). argon2id resists both GPU cracking (data-dependent passes) and
// side channels (data-independent first pass), RFC 9106 §4. 19 MiB per hash keeps a burst of
// logins from exhausting memory on a small server; about 15 ms per hash on one core here.
export const DEFAULT_PASSWORD_HASH_COST: PasswordHashCost = { memoryCost: 19_456, timeCost: 2 };

// The weakest of OWASP's five equivalent configurations (m = 7 MiB, t = 5): below it, or with
// less work (memory × passes) than it, a stolen table of hashes is cheaper to crack than the
// cheat sheet accepts.
const FLOOR = { memoryCost: 7_168, work: 7_168 * 5 };
const INSECURE_PREFIX = 'insecure:';

/**
 * `m=<KiB>,t=<passes>` as GUESTPASS_PASSWORD_HASH_COST reads it. A cost under OWASP's floor is
 * refused unless written `insecure:m=…,t=…`: test suites hash thousands of passwords and need
 * cheap hashes, and a server must never get them by a typo.
 */
export function parsePasswordHashCost(raw: string): PasswordHashCost {
  const value = raw.trim();
  const insecure = value.startsWith(INSECURE_PREFIX);
  const match = /^m=(\d{1,7}),t=(\d{1,2})$/.exec(insecure ? value.slice(INSECURE_PREFIX.length) : value);
  if (!match) throw new Error(`must be m=<memory in KiB>,t=<passes> such as m=19456,t=2, got "${raw}"`);
  const cost = { memoryCost: Number(match[1]), timeCost: Number(match[2]) };
  // argon2's own bounds: 8 KiB per lane, one pass; 4 GiB is more than any server should spend.
  if (cost.memoryCost < 8 || cost.memoryCost > 4_194_304) throw new Error(`must have m between 8 and 4194304 KiB, got ${cost.memoryCost}`);
  if (cost.timeCost < 1 || cost.timeCost > 20) throw new Error(`must have t between 1 and 20, got ${cost.timeCost}`);
  if (!insecure && (cost.memoryCost < FLOOR.memoryCost || cost.memoryCost * cost.timeCost < FLOOR.work))
    throw new Error(
      `is weaker than OWASP's minimum (m=${FLOOR.memoryCost},t=5, or as much memory × passes with more memory, such as m=19456,t=2); write insecure:${value} only for a test suite`,
    );
  return cost;
}
