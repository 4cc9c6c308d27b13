import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { openWithMasterKey, sealWithMasterKey } from './aead.js';
import { generateClientSecret, hashSecret, secretMatches } from './secrets.js';

describe('client secrets', () => {
  it('should carry at least 256 bits of randomness and match only themselves', () => {
    const secret = generateClientSecret();
    assert.ok(Buffer.from(secret.slice(4), 'base64url').length >= 32);
    assert.equal(secretMatches(secret, hashSecret(secret)), true);
    assert.equal(secretMatches(`${secret}x`, hashSecret(secret)), false);
    assert.equal(secretMatches(secret, 'not-a-hash'), false);
  });
});

describe('master-key sealing', () => {
  it('should open what it sealed, and nothing sealed under another key or context', () => {
    const key = randomBytes(32);
    const sealed = sealWithMasterKey(key, 'private jwk', 'kid-1');
    assert.equal(openWithMasterKey(key, sealed, 'kid-1'), 'private jwk');
    assert.throws(() => openWithMasterKey(randomBytes(32), sealed, 'kid-1'));
    assert.throws(() => openWithMasterKey(key, sealed, 'kid-2'), 'a sealed value moved to another row must not open');
  });
});
