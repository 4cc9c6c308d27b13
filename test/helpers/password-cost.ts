/**
 * Test servers hash passwords at argon2's lowest cost: at production's (19 MiB, two passes,
 * about 11 ms of a core) every sign-up, login, reset and dummy verification of the suite, and
 * the hostile and fuzz runs against those routes, add up to seconds of CPU. The cost does not
 * change what a test can observe (a hash names its own cost, verification is the same code),
 * and src/accounts/passwords.test.ts checks that production's cost is the default. A test can
 * still set GUESTPASS_PASSWORD_HASH_COST itself.
 */
export const CHEAP_PASSWORD_HASHES = { GUESTPASS_PASSWORD_HASH_COST: 'insecure:m=64,t=1' };
