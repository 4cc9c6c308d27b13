import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorOf } from '../src/errors.js';
import { isFresh, tokensOf } from '../src/tokens.js';

const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const response = (claims: Record<string, unknown>, expiresIn = 900) => ({
  access_token: jwt(claims),
  token_type: 'Bearer',
  expires_in: expiresIn,
  session_token: 'st',
  user_id: 'u1',
  session_id: 's1',
});

describe('tokensOf and isFresh', () => {
  it('should read who the token is for and whether the user is a guest', () => {
    assert.equal(tokensOf(response({ is_anonymous: true }), 0).anon, true);
    assert.equal(tokensOf(response({ is_anonymous: false }), 0).anon, false);
    assert.deepEqual(
      { ...tokensOf(response({}), 1000), at: undefined },
      { at: undefined, type: 'Bearer', exp: 901_000, life: 900_000, st: 'st', uid: 'u1', sid: 's1', anon: true },
    );
  });

  it('should refresh 30 s before expiry, or a quarter of a short lifetime', () => {
    const long = tokensOf(response({}, 900), 0);
    assert.equal(isFresh(long, 869_999), true);
    assert.equal(isFresh(long, 870_000), false);
    const short = tokensOf(response({}, 30), 0);
    assert.equal(isFresh(short, 22_499), true);
    assert.equal(isFresh(short, 22_500), false);
  });
});

describe('errorOf', () => {
  it('should carry the RFC 6749 error, its description, the status and Retry-After', async () => {
    const error = await errorOf(
      new Response(JSON.stringify({ error: 'rate_limited', error_description: 'Too many.' }), { status: 429, headers: { 'retry-after': '7' } }),
    );
    assert.deepEqual(
      { name: error.name, error: error.error, message: error.message, status: error.status, retryAfter: error.retryAfter },
      {
        name: 'GuestpassError',
        error: 'rate_limited',
        message: 'Too many.',
        status: 429,
        retryAfter: 7,
      },
    );
  });

  it('should name a server error without a body', async () => {
    const error = await errorOf(new Response('<html>', { status: 502 }));
    assert.equal(error.error, 'server_error');
  });
});
