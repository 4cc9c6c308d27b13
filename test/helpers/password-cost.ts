/**
 * Test servers hash passwords at argon2's lowest cost: at production's (19 MiB, two passes,
 * 15 ms of a core) the suite's thousands of sign-ups and logins cost more CPU than anything
 * else they do. The cost does not change what a test can observe (the hash names its own
 * cost, verification is the same code), and src/accounts/passwords.test.ts checks the
 * production default. A test can still set GUESTPASS_PASSWORD_HASH_COST itself.
 */
export const CHEAP_PASSWORD_HASHES = { GUESTPASS_PASSWORD_HASH_COST: 'insecure:m=64,t=1' };
