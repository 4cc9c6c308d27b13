import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { newId } from './ids.js';
import { openWithMasterKey, sealWithMasterKey } from './aead.js';
import type { KeyStore, KeyRow } from './key-store.js';
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

export interface RotateOptions {
  /**
   * How long the new key is published before it signs (or seals): long enough for every node
   * to load it and every JWKS cache to hold it (see `activationDelaySeconds`). 0 switches at
   * once, for an emergency.
   */
  activationDelayMs: number;
}

export interface RotatedKey {
  kid: string;
  /** Epoch milliseconds from which the key signs (or seals). */
  activatesAt: number;
}

/** The key in use, and the one that takes over by itself at its activation time. */
interface InUse<K> {
  current: K;
  next?: { key: K; activatesAt: number };
}

interface Snapshot {
  signing: InUse<SigningKey>;
  sealing: InUse<SealingKey>;
  verificationKeys: Map<string, KeyObject>;
  openingKeys: Map<string, KeyObject>;
  jwks: { keys: JWK[] };
}

/**
 * Keys in memory, imported once. The current signing key signs access tokens; the waiting
 * (next), current and not-yet-expired retired keys verify them and are published in the JWKS.
 * The same holds for the sealing key of session tokens. `refresh()` re-reads the table so a
 * rotation made by the CLI or another node is picked up (the server calls it on an interval).
 *
 * A staged rotation publishes the next key before anyone uses it: every node that has loaded
 * it switches at its activation time by the clock, without waiting for a refresh, so all nodes
 * change keys together and no resource server meets a `kid` its cached JWKS lacks.
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

  /**
   * Publishes a new signing key that signs from `activationDelayMs` on; the old one signs until
   * then and stays published until its tokens have expired.
   */
  async rotateSigningKey(options: RotateOptions): Promise<RotatedKey> {
    return this.rotate(this.newSigningKeyRow(), options);
  }

  /** Loads a new sealing key on every node, sealing from `activationDelayMs` on; the old one opens session tokens until they expire. */
  async rotateSealingKey(options: RotateOptions): Promise<RotatedKey> {
    return this.rotate(this.newSealingKeyRow(), options);
  }

  async refresh(): Promise<void> {
    const now = this.now();
    await this.options.store.deleteExpired(now);
    let rows = await this.options.store.listLive(now);
    const due = new Set(rows.filter((row) => row.status === 'next' && row.activates_at <= now).map((row) => row.use));
    if (due.size > 0) {
      for (const use of due) await this.options.store.promoteDue(use, now, this.retiredLifetimeMs(use));
      rows = await this.options.store.listLive(now);
    }
    this.snapshot = this.importRows(rows);
  }

  get signingKey(): SigningKey {
    return this.inUse(this.loaded().signing);
  }

  get sealingKey(): SealingKey {
    return this.inUse(this.loaded().sealing);
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

  private async rotate(row: KeyRow, { activationDelayMs }: RotateOptions): Promise<RotatedKey> {
    const activatesAt = row.created_at + Math.max(0, activationDelayMs);
    const staged: KeyRow = activatesAt > row.created_at ? { ...row, status: 'next', activates_at: activatesAt } : row;
    await this.options.store.rotate(staged, this.retiredLifetimeMs(row.use));
    await this.refresh();
    return { kid: row.kid, activatesAt };
  }

  private retiredLifetimeMs(use: KeyRow['use']): number {
    return use === 'sig' ? this.options.retiredSigningKeyLifetimeMs : this.options.retiredSealingKeyLifetimeMs;
  }

  private inUse<K>({ current, next }: InUse<K>): K {
    return next && this.now() >= next.activatesAt ? next.key : current;
  }

  private loaded(): Snapshot {
    if (!this.snapshot) throw new Error('Keyring used before initialize()');
    return this.snapshot;
  }

  private importRows(rows: KeyRow[]): Snapshot {
    const verificationKeys = new Map<string, KeyObject>();
    const openingKeys = new Map<string, KeyObject>();
    const published: JWK[] = [];
    const signing: Partial<InUse<SigningKey>> = {};
    const sealing: Partial<InUse<SealingKey>> = {};
    for (const row of rows) {
      const secret = this.open(row);
      if (row.use === 'sig') {
        const publicJwk = JSON.parse(row.public_jwk ?? 'null') as JWK;
        verificationKeys.set(row.kid, createPublicKey({ key: publicJwk, format: 'jwk' }));
        published.push({ ...publicJwk, kid: row.kid, alg: row.alg, use: 'sig' });
        if (row.status !== 'retired') {
          const privateKey = createPrivateKey({ key: JSON.parse(secret) as JWK, format: 'jwk' });
          place(signing, row, { kid: row.kid, alg: row.alg as SigningAlg, privateKey });
        }
      } else {
        const key = createSecretKey(Buffer.from(secret, 'base64url'));
        openingKeys.set(row.kid, key);
        if (row.status !== 'retired') place(sealing, row, { kid: row.kid, key });
      }
    }
    if (!signing.current || !sealing.current)
      throw new Error('The key table has no current signing or sealing key; run `guestpass migrate` and start the server once.');
    return { signing: signing as InUse<SigningKey>, sealing: sealing as InUse<SealingKey>, verificationKeys, openingKeys, jwks: { keys: published } };
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
    const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
    const kid = newId();
    const now = this.now();
    return {
      kid,
      use: 'sig',
      alg,
      public_jwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
      private_sealed: sealWithMasterKey(this.options.masterKey, JSON.stringify(privateKey.export({ format: 'jwk' })), kid),
      status: 'current',
      created_at: now,
      activates_at: now,
      retired_at: null,
      expires_at: null,
    };
  }

  private newSealingKeyRow(): KeyRow {
    const kid = newId();
    const now = this.now();
    return {
      kid,
      use: 'enc',
      alg: 'dir+A256GCM',
      public_jwk: null,
      private_sealed: sealWithMasterKey(this.options.masterKey, randomBytes(32).toString('base64url'), kid),
      status: 'current',
      created_at: now,
      activates_at: now,
      retired_at: null,
      expires_at: null,
    };
  }
}

function place<K>(slot: Partial<InUse<K>>, row: KeyRow, key: K): void {
  if (row.status === 'current') slot.current = key;
  else slot.next = { key, activatesAt: row.activates_at };
}
