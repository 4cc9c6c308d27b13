import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DpopNonces } from './nonce.js';

const SECRET = Buffer.alloc(32, 3);

describe('DpopNonces', () => {
  it('accepts a nonce during its own step and the next one, then refuses it', () => {
    let now = 1_700_000_000_000;
    const nonces = new DpopNonces({ secret: SECRET, stepSeconds: 300, now: () => now });
    const nonce = nonces.current();
    assert.match(nonce, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(nonces.isValid(nonce), true);
    now += 300_000;
    assert.equal(nonces.isValid(nonce), true, 'the previous step is still accepted');
    assert.notEqual(nonces.current(), nonce);
    now += 300_000;
    assert.equal(nonces.isValid(nonce), false);
  });

  it('agrees across nodes that share the secret and not with other secrets', () => {
    const now = () => 1_700_000_000_000;
    const a = new DpopNonces({ secret: SECRET, now });
    const b = new DpopNonces({ secret: Buffer.from(SECRET), now });
    const other = new DpopNonces({ secret: Buffer.alloc(32, 4), now });
    assert.equal(b.isValid(a.current()), true);
    assert.equal(other.isValid(a.current()), false);
  });

  it('refuses a nonce from a future step', () => {
    let now = 1_700_000_000_000;
    const nonces = new DpopNonces({ secret: SECRET, now: () => now });
    now += 300_000;
    const future = nonces.current();
    now -= 300_000;
    assert.equal(nonces.isValid(future), false);
  });

  it('refuses tampered and malformed nonces', () => {
    const nonces = new DpopNonces({ secret: SECRET, now: () => 1_700_000_000_000 });
    const bytes = Buffer.from(nonces.current(), 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    assert.equal(nonces.isValid(bytes.toString('base64url')), false);
    for (const value of ['', 'short', `${nonces.current()}A`, `${nonces.current().slice(0, 31)}+`]) assert.equal(nonces.isValid(value), false, value);
  });

  it('refuses a secret shorter than 32 bytes', () => {
    assert.throws(() => new DpopNonces({ secret: Buffer.alloc(31) }), RangeError);
  });
});
