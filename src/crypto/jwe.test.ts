import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { openCompactJwe, sealCompactJwe } from './jwe.js';

describe('compact JWE (dir, A256GCM)', () => {
  const key = { kid: 'k1', key: createSecretKey(randomBytes(32)) };
  const keyFor = (kid: string) => (kid === 'k1' ? key.key : undefined);

  it('should produce tokens that jose opens, and open tokens that jose seals', async () => {
    const sealed = sealCompactJwe(key, { typ: 'test' }, '{"hello":"world"}');
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, key.key);
    assert.equal(new TextDecoder().decode(plaintext), '{"hello":"world"}');
    assert.equal(protectedHeader.kid, 'k1');

    const fromJose = await new CompactEncrypt(new TextEncoder().encode('from jose'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1' })
      .encrypt(key.key);
    assert.equal(openCompactJwe(fromJose, keyFor)?.plaintext, 'from jose');
  });

  it('should seal each token under a fresh nonce, and open every one of them', () => {
    const sealed = Array.from({ length: 2000 }, (_, i) => sealCompactJwe(key, { typ: 'test' }, `same ${i % 2}`));
    assert.equal(new Set(sealed.map((token) => token.split('.')[2])).size, sealed.length);
    for (const [i, token] of sealed.entries()) assert.equal(openCompactJwe(token, keyFor)?.plaintext, `same ${i % 2}`);
    assert.equal(new Set(sealed.map((token) => token.split('.')[0])).size, 1, 'one key and typ: one protected header');
  });

  it('should refuse a tampered token, an unknown key and a wrong algorithm', () => {
    const sealed = sealCompactJwe(key, {}, 'secret');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    assert.equal(openCompactJwe([parts[0], '', parts[2], flipped.toString('base64url'), parts[4]].join('.'), keyFor), undefined);
    assert.equal(
      openCompactJwe(sealed, () => undefined),
      undefined,
    );
    const otherHeader = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A128GCM', kid: 'k1' })).toString('base64url');
    assert.equal(openCompactJwe([otherHeader, ...parts.slice(1)].join('.'), keyFor), undefined);
    assert.equal(openCompactJwe('not.a.jwe', keyFor), undefined);
  });
});
