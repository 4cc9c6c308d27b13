import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { KeyStore } from './key-store.js';
import { Keyring } from './keyring.js';

const HOUR = 3_600_000;

describeEachDatabase('Keyring', (database) => {
  let store: Store;
  let closeStore: () => Promise<void>;
  before(async () => {
    ({ store, close: closeStore } = await openTestStore(database, 'gp_keyring'));
  });
  after(() => closeStore());

  it('should publish a retired signing key until its tokens have expired, then drop it', async () => {
    let now = Date.now();
    const masterKey = randomBytes(32);
    const options = { store: new KeyStore(store.db), masterKey, signingAlg: 'ES256' as const, retiredSigningKeyLifetimeMs: HOUR, retiredSealingKeyLifetimeMs: 24 * HOUR, now: () => now };
    const keyring = new Keyring(options);
    assert.deepEqual((await keyring.initialize()).created, ['signing', 'sealing']);
    const first = keyring.signingKey.kid;

    // A second node starting against the same store creates nothing and sees the same key.
    const other = new Keyring(options);
    assert.deepEqual((await other.initialize()).created, []);
    assert.equal(other.signingKey.kid, first);

    const second = await keyring.rotateSigningKey();
    assert.notEqual(second, first);
    assert.equal(keyring.signingKey.kid, second);
    assert.deepEqual(keyring.jwks().keys.map((key) => key.kid).sort(), [first, second].sort());
    assert.ok(keyring.verificationKey(first), 'tokens signed by the retired key still verify');

    now += HOUR + 1;
    await keyring.refresh();
    assert.deepEqual(keyring.jwks().keys.map((key) => key.kid), [second]);
    assert.equal(keyring.verificationKey(first), undefined);
  });

  it('should refuse to start with a different master key', async () => {
    const keyring = new Keyring({ store: new KeyStore(store.db), masterKey: randomBytes(32), signingAlg: 'ES256', retiredSigningKeyLifetimeMs: HOUR, retiredSealingKeyLifetimeMs: HOUR });
    await assert.rejects(keyring.initialize(), /cannot be decrypted with this master key/);
  });

  it('should sign with EdDSA when configured', async () => {
    const masterKey = randomBytes(32);
    const fresh = await openDatabase({ url: 'sqlite::memory:' });
    await migrateToLatest(fresh);
    const keyring = new Keyring({ store: new KeyStore(fresh.db), masterKey, signingAlg: 'EdDSA', retiredSigningKeyLifetimeMs: HOUR, retiredSealingKeyLifetimeMs: HOUR });
    await keyring.initialize();
    assert.equal(keyring.signingKey.alg, 'EdDSA');
    assert.equal(keyring.jwks().keys[0]?.crv, 'Ed25519');
    await fresh.close();
  });
});
