import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOptions } from '@node-rs/argon2';
import { SECLISTS_10K_LONG, WELL_KNOWN_LONG } from './common-passwords.js';
import { checkPasswordPolicy, DUMMY_PASSWORD_HASH, dummyVerify, hashPassword, needsRehash, PASSWORD_HASH_OPTIONS, verifyPassword } from './passwords.js';

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
  it('should hash with argon2id and verify the same password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await verifyPassword(stored, 'correct horse battery staple'), true);
    assert.equal(needsRehash(stored), false);
  });

  it('should salt each hash', async () => {
    assert.notEqual(await hashPassword('correct horse battery staple'), await hashPassword('correct horse battery staple'));
  });

  it('should refuse a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword(stored, 'correct horse battery stapler'), false);
    assert.equal(await verifyPassword(stored, ''), false);
  });

  it('should treat the composed and decomposed forms of an accented password as the same', async () => {
    const stored = await hashPassword('caf\u00e9 au lait s\u00e9v\u00e8re');
    assert.equal(await verifyPassword(stored, 'cafe\u0301 au lait se\u0301ve\u0300re'), true);
  });

  it('should answer false, not throw, for a malformed or empty hash', async () => {
    for (const bad of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$abc', '$2b$10$abcdefghijklmnopqrstuu']) {
      assert.equal(await verifyPassword(bad, 'correct horse battery staple'), false, bad);
    }
  });

  it('should ask for a rehash of a hash made with weaker parameters or unreadable', () => {
    assert.equal(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$1Eq8H2w7MJrcMWstgMA5QQ$Lvi/89UzVoEnHr/thaEw5l11waav1btqwy+WChbRaTc'), true);
    assert.equal(needsRehash('garbage'), true);
  });

  it('should make the dummy verification cost what a real one costs, and never succeed', async () => {
    // Same parameters means the same work: the timing of "no such account" matches "wrong password".
    const used = parseOptions(DUMMY_PASSWORD_HASH);
    assert.equal(used.algorithm, PASSWORD_HASH_OPTIONS.algorithm);
    assert.equal(used.memoryCost, PASSWORD_HASH_OPTIONS.memoryCost);
    assert.equal(used.timeCost, PASSWORD_HASH_OPTIONS.timeCost);
    assert.equal(used.parallelism, PASSWORD_HASH_OPTIONS.parallelism);
    assert.equal(await dummyVerify('correct horse battery staple'), false);
  });
});
