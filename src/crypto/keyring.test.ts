import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { KeyStore, type KeyRow } from './key-store.js';
import { Keyring, type KeyringOptions } from './keyring.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

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
    const options = {
      store: new KeyStore(store.db),
      masterKey,
      signingAlg: 'ES256' as const,
      retiredSigningKeyLifetimeMs: HOUR,
      retiredSealingKeyLifetimeMs: 24 * HOUR,
      now: () => now,
    };
    const keyring = new Keyring(options);
    assert.deepEqual((await keyring.initialize()).created, ['signing', 'sealing']);
    const first = keyring.signingKey.kid;

    // A second node starting against the same store creates nothing and sees the same key.
    const other = new Keyring(options);
    assert.deepEqual((await other.initialize()).created, []);
    assert.equal(other.signingKey.kid, first);

    const { kid: second } = await keyring.rotateSigningKey({ activationDelayMs: 0 });
    assert.notEqual(second, first);
    assert.equal(keyring.signingKey.kid, second);
    assert.deepEqual(
      keyring
        .jwks()
        .keys.map((key) => key.kid)
        .sort(),
      [first, second].sort(),
    );
    assert.ok(keyring.verificationKey(first), 'tokens signed by the retired key still verify');

    now += HOUR + 1;
    await keyring.refresh();
    assert.deepEqual(
      keyring.jwks().keys.map((key) => key.kid),
      [second],
    );
    assert.equal(keyring.verificationKey(first), undefined);
  });

  it('should refuse to start with a different master key', async () => {
    const keyring = new Keyring({
      store: new KeyStore(store.db),
      masterKey: randomBytes(32),
      signingAlg: 'ES256',
      retiredSigningKeyLifetimeMs: HOUR,
      retiredSealingKeyLifetimeMs: HOUR,
    });
    await assert.rejects(keyring.initialize(), /cannot be decrypted with this master key/);
  });

  it('should sign with EdDSA when configured', async () => {
    const masterKey = randomBytes(32);
    const fresh = await openDatabase({ url: 'sqlite::memory:' });
    await migrateToLatest(fresh);
    const keyring = new Keyring({
      store: new KeyStore(fresh.db),
      masterKey,
      signingAlg: 'EdDSA',
      retiredSigningKeyLifetimeMs: HOUR,
      retiredSealingKeyLifetimeMs: HOUR,
    });
    await keyring.initialize();
    assert.equal(keyring.signingKey.alg, 'EdDSA');
    assert.equal(keyring.jwks().keys[0]?.crv, 'Ed25519');
    await fresh.close();
  });

  /** Two nodes on a store of their own, on a clock the test moves. */
  async function twoNodes(): Promise<{ a: Keyring; b: Keyring; rows: () => Promise<KeyRow[]>; clock: { now: number }; close: () => Promise<void> }> {
    const own = await openTestStore(database, 'gp_keyring_staged');
    const clock = { now: Date.now() };
    const keyStore = new KeyStore(own.store.db);
    const options: KeyringOptions = {
      store: keyStore,
      masterKey: randomBytes(32),
      signingAlg: 'ES256',
      retiredSigningKeyLifetimeMs: HOUR,
      retiredSealingKeyLifetimeMs: 24 * HOUR,
      now: () => clock.now,
    };
    const a = new Keyring(options);
    const b = new Keyring(options);
    await a.initialize();
    await b.initialize();
    const rows = () => own.store.db.selectFrom('keys').selectAll().orderBy('created_at').execute();
    return { a, b, rows, clock, close: own.close };
  }

  it('should publish a staged signing key at once and sign with it on every node from its activation time', async () => {
    const { a, b, rows, clock, close } = await twoNodes();
    try {
      const first = a.signingKey.kid;
      const rotated = await a.rotateSigningKey({ activationDelayMs: 2 * MINUTE });
      assert.equal(rotated.activatesAt, clock.now + 2 * MINUTE);
      assert.equal(a.signingKey.kid, first, 'the rotating node keeps signing with the old key');
      assert.deepEqual(
        a
          .jwks()
          .keys.map((key) => key.kid)
          .sort(),
        [first, rotated.kid].sort(),
      );

      await b.refresh();
      assert.equal(b.signingKey.kid, first);
      assert.ok(b.verificationKey(rotated.kid), 'the other node verifies the new key before anyone signs with it');

      clock.now = rotated.activatesAt - 1;
      assert.equal(a.signingKey.kid, first);
      clock.now = rotated.activatesAt;
      // Both switch by the clock, without a refresh.
      assert.equal(a.signingKey.kid, rotated.kid);
      assert.equal(b.signingKey.kid, rotated.kid);

      // Both record the switch at once: one of them does, the table keeps exactly one current key.
      await Promise.all([a.refresh(), b.refresh()]);
      const signing = (await rows()).filter((row) => row.use === 'sig');
      assert.deepEqual(
        signing.map((row) => [row.kid, row.status]),
        [
          [first, 'retired'],
          [rotated.kid, 'current'],
        ],
      );
      assert.equal(signing[0]!.expires_at, clock.now + HOUR, 'the old key stays published for a token lifetime after the switch');

      clock.now += HOUR + 1;
      await a.refresh();
      assert.deepEqual(
        a.jwks().keys.map((key) => key.kid),
        [rotated.kid],
      );
    } finally {
      await close();
    }
  });

  it('should load a staged sealing key on every node before sealing with it', async () => {
    const { a, b, clock, close } = await twoNodes();
    try {
      const first = a.sealingKey.kid;
      const rotated = await a.rotateSealingKey({ activationDelayMs: MINUTE });
      await b.refresh();
      assert.equal(a.sealingKey.kid, first);
      assert.ok(b.openingKey(rotated.kid), 'the other node opens session tokens sealed with the new key');
      clock.now = rotated.activatesAt;
      assert.equal(b.sealingKey.kid, rotated.kid);
      assert.ok(b.openingKey(first), 'the old key still opens the sessions it sealed');
    } finally {
      await close();
    }
  });

  it('should replace a key still waiting but keep it published, and keep one whose time has come when rotating again', async () => {
    const { a, b, clock, close } = await twoNodes();
    try {
      const first = a.signingKey.kid;
      const replaced = await a.rotateSigningKey({ activationDelayMs: MINUTE });
      await b.refresh();
      clock.now += 1000;
      const waiting = await a.rotateSigningKey({ activationDelayMs: MINUTE });
      assert.equal(a.signingKey.kid, first);
      // A node that read the table between the two rotations and does not re-read it in time
      // switches to the replaced key at its activation time: its tokens must still verify.
      clock.now = replaced.activatesAt;
      assert.equal(b.signingKey.kid, replaced.kid);
      await a.refresh();
      assert.ok(a.verificationKey(replaced.kid), 'the replaced key stays published');
      assert.equal(a.signingKey.kid, first, 'but nobody who has read the table since signs with it');

      await b.refresh();
      assert.equal(b.signingKey.kid, first, 'once it has re-read the table, it waits for the new key');
      clock.now = waiting.activatesAt;
      assert.equal(b.signingKey.kid, waiting.kid, 'it may have signed on a node since');
      // An emergency rotation before any node recorded the switch: the key that signed stays published.
      const emergency = await a.rotateSigningKey({ activationDelayMs: 0 });
      assert.equal(emergency.activatesAt, clock.now);
      assert.equal(a.signingKey.kid, emergency.kid);
      assert.deepEqual(
        a
          .jwks()
          .keys.map((key) => key.kid)
          .sort(),
        [first, replaced.kid, waiting.kid, emergency.kid].sort(),
      );
    } finally {
      await close();
    }
  });
});
