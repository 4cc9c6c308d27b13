import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAllowedIssuerUrl, parseTrustedIssuers } from './trusted-issuers.js';

describe('GUESTPASS_TRUSTED_ISSUERS', () => {
  it('reads one audience or several, and requires a nonce unless told otherwise', () => {
    assert.deepEqual(
      parseTrustedIssuers(
        '[{"issuer": "https://accounts.example.com", "audience": "web"}, {"issuer": "http://127.0.0.1:4000", "audience": ["web", "ios"], "require_nonce": false}]',
      ),
      [
        { issuer: 'https://accounts.example.com', audience: ['web'], requireNonce: true },
        { issuer: 'http://127.0.0.1:4000', audience: ['web', 'ios'], requireNonce: false },
      ],
    );
  });

  it('refuses an issuer listed twice, which would make one entry silently lose', () => {
    assert.throws(
      () =>
        parseTrustedIssuers('[{"issuer": "https://accounts.example.com", "audience": "web"}, {"issuer": "https://accounts.example.com", "audience": "ios"}]'),
      /entry 1 repeats https:\/\/accounts\.example\.com/,
    );
  });

  it('refuses unknown fields, a missing audience and plain http off loopback', () => {
    assert.throws(() => parseTrustedIssuers('[{"issuer": "https://a.example", "audience": "web", "aud": "x"}]'), /unknown field aud/);
    assert.throws(() => parseTrustedIssuers('[{"issuer": "https://a.example", "audience": []}]'), /needs an audience/);
    assert.throws(() => parseTrustedIssuers('[{"issuer": "http://a.example", "audience": "web"}]'), /https issuer URL/);
  });

  it('accepts https issuers and http only on loopback, never with a query or fragment', () => {
    for (const url of ['https://accounts.google.com', 'https://login.example.com/tenant/v2.0', 'http://localhost:8080', 'http://[::1]:3000'])
      assert.equal(isAllowedIssuerUrl(url), true, url);
    for (const url of ['http://accounts.example.com', 'https://a.example/?tenant=1', 'https://a.example/#x', 'ftp://a.example', 'not a url'])
      assert.equal(isAllowedIssuerUrl(url), false, url);
  });
});
