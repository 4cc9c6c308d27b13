import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { openWithMasterKey, sealWithMasterKey } from './aead.js';
import { newId, newOrderedId } from './ids.js';
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

describe('ids', () => {
  it('should make UUIDv7 ids that sort in the order newOrderedId made them, within one millisecond too', () => {
    const ids = Array.from({ length: 5000 }, () => newOrderedId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    // Far more ids than milliseconds: most of them share one with another.
    assert.ok(new Set(ids.map((id) => id.slice(0, 13))).size < ids.length);
  });

  it('should draw newId and newOrderedId from the same pool without ever repeating a value', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? newId() : newOrderedId()));
    assert.equal(new Set(ids.map((id) => id.slice(-12))).size, ids.length);
  });
});
