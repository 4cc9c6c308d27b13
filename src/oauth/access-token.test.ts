import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeOnDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { KeyStore } from '../crypto/key-store.js';
import { Keyring } from '../crypto/keyring.js';
import type { Store } from '../storage/database.js';
import { AccessTokens } from './access-token.js';

const HOUR = 3_600_000;
const ISSUER = 'https://auth.example.test';

// The cache of verified tokens must never accept what a fresh check would refuse.
describeOnDatabase('sqlite', 'access tokens verified once, then served from the cache', () => {
  let store: Store;
  let closeStore: () => Promise<void>;
  let now: number;
  let keyring: Keyring;
  const revoked = new Set<string>();
  let tokens: AccessTokens;
  let issuer = ISSUER;

  before(async () => {
    ({ store, close: closeStore } = await openTestStore('sqlite', 'gp_access_tokens'));
    now = Date.now();
    keyring = new Keyring({
      store: new KeyStore(store.db),
      masterKey: randomBytes(32),
      signingAlg: 'ES256',
      retiredSigningKeyLifetimeMs: HOUR,
      retiredSealingKeyLifetimeMs: 24 * HOUR,
      now: () => now,
    });
    await keyring.initialize();
    tokens = new AccessTokens({ keyring, issuer: () => issuer, isRevoked: async (claims) => revoked.has(claims.jti), now: () => now });
  });
  after(() => closeStore());

  const issue = (ttlSeconds = 900) => tokens.issue({ subject: 'u1', clientId: 'c1', audience: ISSUER, scope: 'profile', ttlSeconds });

  it('should give the same frozen claims on a second check, and refuse them once the token expires', async () => {
    const { token, expiresAt } = issue(60);
    const first = await tokens.verify(token);
    assert.equal(first?.sub, 'u1');
    assert.equal(await tokens.verify(token), first, 'the second check is served from the cache');
    assert.ok(Object.isFrozen(first), 'no request may change claims another request is given');

    now = expiresAt;
    assert.equal(await tokens.verify(token), undefined, 'expired at exp, cached or not');
    assert.equal((await tokens.verifySignature(token, { allowExpired: true }))?.sub, 'u1', 'revocation may still read an expired token');
  });

  it('should ask the denylist on every check, cached or not', async () => {
    const { token, jti } = issue();
    assert.ok(await tokens.verify(token));
    revoked.add(jti);
    assert.equal(await tokens.verify(token), undefined);
  });

  it('should refuse a token whose signature was changed after its original was cached', async () => {
    const { token } = issue();
    assert.ok(await tokens.verify(token));
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    assert.equal(await tokens.verify(tampered), undefined);
  });

  it('should refuse a cached token once the key that signed it no longer verifies', async () => {
    const { token } = issue(3 * 3600);
    assert.ok(await tokens.verify(token));
    await keyring.rotateSigningKey({ activationDelayMs: 0 });
    assert.ok(await tokens.verify(token), 'a retired key verifies the tokens it signed for a while');
    now += HOUR + 1;
    await keyring.refresh();
    assert.equal(await tokens.verify(token), undefined, 'the retired key is gone: the token no longer verifies');
  });

  it('should refuse a cached token when the issuer changed', async () => {
    const { token } = issue();
    assert.ok(await tokens.verify(token));
    issuer = 'https://other.example.test';
    assert.equal(await tokens.verify(token), undefined);
    issuer = ISSUER;
    assert.ok(await tokens.verify(token));
  });
});
