import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuestpassError } from '../shared/errors.js';
import { dpopHeaderValue } from './header.js';

describe('dpopHeaderValue', () => {
  it('returns the single DPoP header, or undefined when there is none', () => {
    assert.equal(dpopHeaderValue({ dpop: 'a.b.c' }), 'a.b.c');
    assert.equal(dpopHeaderValue({}), undefined);
  });

  it('rejects a request with several DPoP headers', () => {
    for (const dpop of ['a.b.c, d.e.f', ['a.b.c', 'd.e.f']]) {
      assert.throws(
        () => dpopHeaderValue({ dpop }),
        (error: unknown) => error instanceof GuestpassError && error.code === 'INVALID_DPOP_PROOF',
      );
    }
  });
});
