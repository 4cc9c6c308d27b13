import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { newId } from './ids.js';
import { openWithMasterKey, sealWithMasterKey } from './aead.js';
import { KeyStore, type KeyRow } from './key-store.js';
import type { SigningAlg, SigningKey } from './jws.js';

export interface SealingKey {
  kid: string;
  key: KeyObject;
}

export interface KeyringOptions {
  store: KeyStore;
  masterKey: Buffer;
  /** Algorithm for newly generated signing keys. */
  signingAlg: SigningAlg;
  /** How long a retired signing key stays published: the longest access-token lifetime. */
  retiredSigningKeyLifetimeMs: number;
  /** How long a retired sealing key still opens session tokens: the longest session. */
  retiredSealingKeyLifetimeMs: number;
  now?: () => number;
}

interface Snapshot {
  signing: SigningKey;
  sealing: SealingKey;
  verificationKeys: Map<string, KeyObject>;
  openingKeys: Map<string, KeyObject>;
  jwks: { keys: JWK[] };
}

/**
 * Keys in memory, imported once. The current signing key signs access tokens; current and
 * not-yet-expired retired keys verify them and are published in the JWKS. The same holds for
 * the sealing key of session tokens. `refresh()` re-reads the table so a rotation made by the
 * CLI or another node is picked up (the server calls it on an interval).
 */
export class Keyring {
  private snapshot: Snapshot | undefined;
  private readonly now: () => number;

  constructor(private readonly options: KeyringOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Creates the first signing and sealing keys if there are none, then loads. */
  async initialize(): Promise<{ created: string[] }> {
    const created: string[] = [];
    const live = await this.options.store.listLive(this.now());
    if (!live.some((row) => row.use === 'sig' && row.status === 'current')) {
      if (await this.options.store.insertIfNoCurrent(this.newSigningKeyRow())) created.push('signing');
    }
    if (!live.some((row) => row.use === 'enc' && row.status === 'current')) {
      if (await this.options.store.insertIfNoCurrent(this.newSealingKeyRow())) created.push('sealing');
    }
    await this.refresh();
    return { created };
  }

  /** Makes a new signing key current; the old one stays published until its tokens expire. */
  async rotateSigningKey(): Promise<string> {
    const row = this.newSigningKeyRow();
    await this.options.store.replaceCurrent(row, this.options.retiredSigningKeyLifetimeMs);
    await this.refresh();
    return row.kid;
  }

  /** Makes a new sealing key current; the old one still opens session tokens until they expire. */
  async rotateSealingKey(): Promise<string> {
    const row = this.newSealingKeyRow();
    await this.options.store.replaceCurrent(row, this.options.retiredSealingKeyLifetimeMs);
    await this.refresh();
    return row.kid;
  }

  async refresh(): Promise<void> {
    const now = this.now();
    await this.options.store.deleteExpired(now);
    const rows = await this.options.store.listLive(now);
    this.snapshot = this.importRows(rows);
  }

  get signingKey(): SigningKey {
    return this.loaded().signing;
  }

  get sealingKey(): SealingKey {
    return this.loaded().sealing;
  }

  /** Public key for a `kid`, or undefined for a key we never had or that has expired. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.loaded().verificationKeys.get(kid);
  }

  openingKey(kid: string): KeyObject | undefined {
    return this.loaded().openingKeys.get(kid);
  }

  jwks(): { keys: JWK[] } {
    return this.loaded().jwks;
  }

  private loaded(): Snapshot {
    if (!this.snapshot) throw new Error('Keyring used before initialize()');
    return this.snapshot;
  }

  private importRows(rows: KeyRow[]): Snapshot {
    const verificationKeys = new Map<string, KeyObject>();
    const openingKeys = new Map<string, KeyObject>();
    const published: JWK[] = [];
    let signing: SigningKey | undefined;
    let sealing: SealingKey | undefined;
    for (const row of rows) {
      const secret = this.open(row);
      if (row.use === 'sig') {
        const publicJwk = JSON.parse(row.public_jwk ?? 'null') as JWK;
        verificationKeys.set(row.kid, createPublicKey({ key: publicJwk, format: 'jwk' }));
        published.push({ ...publicJwk, kid: row.kid, alg: row.alg, use: 'sig' });
        if (row.status === 'current') {
          const privateKey = createPrivateKey({ key: JSON.parse(secret) as JWK, format: 'jwk' });
          signing = { kid: row.kid, alg: row.alg as SigningAlg, privateKey };
        }
      } else {
        const key = createSecretKey(Buffer.from(secret, 'base64url'));
        openingKeys.set(row.kid, key);
        if (row.status === 'current') sealing = { kid: row.kid, key };
      }
    }
    if (!signing || !sealing) throw new Error('The key table has no current signing or sealing key; run `guestpass migrate` and start the server once.');
    return { signing, sealing, verificationKeys, openingKeys, jwks: { keys: published } };
  }

  private open(row: KeyRow): string {
    try {
      return openWithMasterKey(this.options.masterKey, row.private_sealed, row.kid);
    } catch {
      throw new Error(
        `Key ${row.kid} cannot be decrypted with this master key. Start with the GUESTPASS_MASTER_KEY (or data folder) the keys were created with.`,
      );
    }
  }

  private newSigningKeyRow(): KeyRow {
    const alg = this.options.signingAlg;
    const { privateKey, publicKey } =
      alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const kid = newId();
    return {
      kid,
      use: 'sig',
      alg,
      public_jwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
      private_sealed: sealWithMasterKey(this.options.masterKey, JSON.stringify(privateKey.export({ format: 'jwk' })), kid),
      status: 'current',
      created_at: this.now(),
      retired_at: null,
      expires_at: null,
    };
  }

  private newSealingKeyRow(): KeyRow {
    const kid = newId();
    return {
      kid,
      use: 'enc',
      alg: 'dir+A256GCM',
      public_jwk: null,
      private_sealed: sealWithMasterKey(this.options.masterKey, randomBytes(32).toString('base64url'), kid),
      status: 'current',
      created_at: this.now(),
      retired_at: null,
      expires_at: null,
    };
  }
}
