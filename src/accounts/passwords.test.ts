import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOptions } from '@node-rs/argon2';
import { SECLISTS_10K_LONG, WELL_KNOWN_LONG } from './common-passwords.js';
import { loadConfig } from '../app/config.js';
import { accountOptions } from './options.js';
import { DEFAULT_PASSWORD_HASH_COST, parsePasswordHashCost } from './password-cost.js';
import { checkPasswordPolicy, PasswordHasher } from './passwords.js';

describe('password policy', () => {
  it('should accept a passphrase of unrelated words', () => {
    assert.equal(checkPasswordPolicy('correct horse battery staple'), undefined);
    assert.equal(checkPasswordPolicy('Tb7!kq2#Lm9z'), undefined);
  });

  it('should refuse a password shorter than 10 characters with a sentence the user can act on', () => {
    const reason = checkPasswordPolicy('Tb7!kq2#L');
    assert.match(reason ?? '', /at least 10 characters/);
  });

  it('should count Unicode code points, not UTF-16 units', () => {
    // Five emoji are ten UTF-16 units but five characters.
    assert.match(checkPasswordPolicy('🐙🦊🐳🦉🐝') ?? '', /at least 10/);
    assert.equal(checkPasswordPolicy('🐙🦊🐳🦉🐝🐙🦊🐳🦉🐝'), undefined);
  });

  it('should refuse a password longer than 256 characters', () => {
    assert.match(checkPasswordPolicy('x'.repeat(150) + 'y'.repeat(107)) ?? '', /at most 256/);
    assert.equal(checkPasswordPolicy('xy'.repeat(128)), undefined);
  });

  it('should refuse common passwords whatever their case', () => {
    for (const common of ['password123', '1234567890', 'qwertyuiop', 'QWERTYUIOP', 'Password123', '1q2w3e4r5t', 'Basketball']) {
      assert.match(checkPasswordPolicy(common) ?? '', /most common/, common);
    }
  });

  it('should compare after Unicode normalisation, so full-width digits do not slip past the list', () => {
    assert.match(checkPasswordPolicy('１２３４５６７８９０') ?? '', /most common/);
  });

  it('should bundle only lower-case entries of at least 10 characters', () => {
    for (const entry of [...SECLISTS_10K_LONG, ...WELL_KNOWN_LONG]) {
      assert.ok([...entry].length >= 10, entry);
      assert.equal(entry, entry.toLowerCase());
    }
  });
});

describe('password hashing', () => {
  // Production's cost: what a server uses when GUESTPASS_PASSWORD_HASH_COST is not set.
  const hasher = new PasswordHasher();

  it('should hash with argon2id at OWASP’s m=19456,t=2 by default and verify the same password', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await hasher.verify(stored, 'correct horse battery staple'), true);
    assert.equal(hasher.needsRehash(stored), false);
  });

  it('should salt each hash', async () => {
    assert.notEqual(await hasher.hash('correct horse battery staple'), await hasher.hash('correct horse battery staple'));
  });

  it('should refuse a wrong password', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    assert.equal(await hasher.verify(stored, 'correct horse battery stapler'), false);
    assert.equal(await hasher.verify(stored, ''), false);
  });

  it('should treat the composed and decomposed forms of an accented password as the same', async () => {
    const stored = await hasher.hash('caf\u00e9 au lait s\u00e9v\u00e8re');
    assert.equal(await hasher.verify(stored, 'cafe\u0301 au lait se\u0301ve\u0300re'), true);
  });

  it('should answer false, not throw, for a malformed or empty hash', async () => {
    for (const bad of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$abc', '$2b$10$abcdefghijklmnopqrstuu']) {
      assert.equal(await hasher.verify(bad, 'correct horse battery staple'), false, bad);
    }
  });

  it('should ask for a rehash of a hash made with weaker parameters or unreadable', () => {
    assert.equal(hasher.needsRehash('$argon2id$v=19$m=4096,t=3,p=1$1Eq8H2w7MJrcMWstgMA5QQ$Lvi/89UzVoEnHr/thaEw5l11waav1btqwy+WChbRaTc'), true);
    assert.equal(hasher.needsRehash('garbage'), true);
  });

  it('should make the dummy verification cost what a real one costs, and never succeed', async () => {
    // Same parameters means the same work: the timing of "no such account" matches "wrong password".
    for (const subject of [hasher, new PasswordHasher({ memoryCost: 64, timeCost: 1 })]) {
      const used = parseOptions(await subject.dummy());
      assert.equal(used.algorithm, 2, 'argon2id');
      assert.equal(used.memoryCost, subject.cost.memoryCost);
      assert.equal(used.timeCost, subject.cost.timeCost);
      assert.equal(used.parallelism, 1);
      assert.equal(await subject.dummyVerify('correct horse battery staple'), false);
    }
  });

  it('should verify a hash made at another cost, and ask for its rehash', async () => {
    const cheap = new PasswordHasher({ memoryCost: 64, timeCost: 1 });
    const stored = await cheap.hash('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    assert.equal(await hasher.verify(stored, 'correct horse battery staple'), true);
    assert.equal(hasher.needsRehash(stored), true);
  });
});

describe('password hash cost (GUESTPASS_PASSWORD_HASH_COST)', () => {
  it('should default to OWASP’s m=19456,t=2 when the option is not set', () => {
    assert.deepEqual(DEFAULT_PASSWORD_HASH_COST, { memoryCost: 19_456, timeCost: 2 });
    const { config } = loadConfig({ env: {}, flags: {} });
    assert.deepEqual(config.passwordHashCost, { memoryCost: 19_456, timeCost: 2 });
    assert.equal(accountOptions.passwordHashCost.env, 'GUESTPASS_PASSWORD_HASH_COST');
  });

  it('should accept OWASP’s configurations and stronger ones', () => {
    for (const [raw, memoryCost, timeCost] of [
      ['m=47104,t=1', 47_104, 1],
      ['m=19456,t=2', 19_456, 2],
      ['m=12288,t=3', 12_288, 3],
      ['m=9216,t=4', 9_216, 4],
      ['m=7168,t=5', 7_168, 5],
      [' m=65536,t=3 ', 65_536, 3],
    ] as const)
      assert.deepEqual(parsePasswordHashCost(raw), { memoryCost, timeCost }, raw);
  });

  it('should refuse a cost under OWASP’s minimum unless it is marked insecure', () => {
    for (const weak of ['m=64,t=1', 'm=19456,t=1', 'm=4096,t=20', 'm=7168,t=4'])
      assert.throws(() => parsePasswordHashCost(weak), /weaker than OWASP's minimum.*insecure:/, weak);
    assert.deepEqual(parsePasswordHashCost('insecure:m=64,t=1'), { memoryCost: 64, timeCost: 1 });
  });

  it('should refuse values argon2 cannot use or that are not m=…,t=…', () => {
    for (const bad of ['', '19456', 'm=19456', 't=2,m=19456', 'm=19456,t=2,p=4', 'insecure:m=4,t=1', 'm=19456,t=0', 'm=-1,t=2', 'insecure:', 'weak:m=64,t=1'])
      assert.throws(() => parsePasswordHashCost(bad), /must/, bad);
  });

  it('should refuse a weak cost at start-up, naming the option', () => {
    assert.throws(() => loadConfig({ env: { GUESTPASS_PASSWORD_HASH_COST: 'm=1024,t=1' }, flags: {} }), /GUESTPASS_PASSWORD_HASH_COST/);
  });
});
