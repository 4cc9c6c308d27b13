import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { secretDigest } from '../crypto/secrets.js';
import type { EventBus } from '../events/bus.js';
import type { ClientStore } from './store.js';
import type { Client } from './types.js';

/** A secret as client authentication needs it: the SHA-256 bytes and when it stops working. */
export interface LiveSecret {
  hash: Buffer;
  /** Epoch milliseconds; null while it is the newest secret. Compared with the time of each check. */
  expiresAt: number | null;
}

/** A client with the secrets that were live when it was read; no secrets for a public client. */
export interface ClientRecord {
  /** Frozen: one object serves many requests. */
  client: Client;
  secrets: readonly LiveSecret[];
}

export interface ClientLookup {
  record: ClientRecord | undefined;
  /** Served from memory rather than read just now, so possibly up to `ttlMs` old. */
  fromMemory: boolean;
}

export interface ClientCacheOptions {
  store: ClientStore;
  events: EventBus;
  /**
   * How long a record is used without asking the database. It bounds how late this node
   * notices a change made on another node of a PostgreSQL deployment (a deletion, a secret
   * cut off by rotation). Changes made by this process apply at once (domain events), and
   * those by other processes on the same SQLite file within `changeCheckMs`.
   * @default 5000
   */
  ttlMs?: number;
  /**
   * How often, at most, SQLite's data_version is read to notice another process's write (the
   * CLI rotating a secret); reading it on every request would cost a few µs each time.
   * @default 10
   */
  changeCheckMs?: number;
  /** Most clients held; the oldest entry goes first past it. @default 10_000 */
  maxEntries?: number;
  /** Wall-clock time, for which secrets are live when read. */
  now?: () => number;
  /** Monotonic milliseconds for `ttlMs` and `changeCheckMs`, apart from `now` (which tests may freeze). @default performance.now */
  clock?: () => number;
}

interface Entry {
  record: ClientRecord;
  loadedAt: number;
}

/**
 * A short-lived in-memory copy of clients and their live secret hashes, so that client
 * authentication does not read two rows per request. A record can be stale in one way only:
 * it may still hold a secret, or a client, that another PostgreSQL node removed in the last
 * `ttlMs`. It never refuses a new secret for long: client authentication reads the client
 * again when a presented secret matches nothing in memory.
 *
 * Unknown client ids are not cached: a flood of made-up ids (bounded by the per-IP rate limit,
 * which runs first) would otherwise fill the cache and push out real clients, and a client
 * created on another node would be refused until the entry aged out.
 */
export class ClientCache {
  private readonly entries = new Map<string, Entry>();
  /** Reads in progress, so a burst of requests for one client reads it once. */
  private readonly loading = new Map<string, Promise<ClientRecord | undefined>>();
  /** Bumped on every invalidation: a read that started before one must not be cached. */
  private generation = 0;
  private externalVersion: number | undefined;
  private checkedAt: number;
  private readonly store: ClientStore;
  private readonly ttlMs: number;
  private readonly changeCheckMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly clock: () => number;

  constructor({ store, events, ttlMs = 5000, changeCheckMs = 10, maxEntries = 10_000, now = Date.now, clock = () => performance.now() }: ClientCacheOptions) {
    this.store = store;
    this.ttlMs = ttlMs;
    this.changeCheckMs = changeCheckMs;
    this.maxEntries = maxEntries;
    this.now = now;
    this.clock = clock;
    this.externalVersion = store.externalChanges();
    this.checkedAt = clock();
    const invalidate = ({ client_id }: { client_id?: string }) => this.invalidate(client_id);
    events.on('client.created', invalidate);
    events.on('client.updated', invalidate);
    events.on('client.deleted', invalidate);
    events.on('client.secret_rotated', invalidate);
  }

  /** The client `id`, from memory while its entry is fresh; `refresh` reads it anew regardless. */
  async lookup(id: string, { refresh = false } = {}): Promise<ClientLookup> {
    const time = this.clock();
    if (time - this.checkedAt >= this.changeCheckMs) this.dropIfChangedElsewhere(time);
    const entry = refresh ? undefined : this.entries.get(id);
    if (entry && time - entry.loadedAt < this.ttlMs) return { record: entry.record, fromMemory: true };
    return { record: await this.load(id), fromMemory: false };
  }

  /** Forgets `id`, or every client when no id is given. */
  invalidate(id?: string): void {
    this.generation += 1;
    if (id === undefined) {
      this.entries.clear();
      this.loading.clear();
    } else {
      this.entries.delete(id);
      this.loading.delete(id);
    }
  }

  private dropIfChangedElsewhere(time: number): void {
    this.checkedAt = time;
    const version = this.store.externalChanges();
    if (version === this.externalVersion) return;
    this.externalVersion = version;
    this.invalidate();
  }

  private load(id: string): Promise<ClientRecord | undefined> {
    const pending = this.loading.get(id);
    if (pending) return pending;
    const generation = this.generation;
    const loadedAt = this.clock();
    const promise = this.read(id, this.now()).then(
      (record) => {
        if (this.loading.get(id) === promise) this.loading.delete(id);
        if (record && generation === this.generation) this.remember(id, { record, loadedAt });
        return record;
      },
      (error: unknown) => {
        if (this.loading.get(id) === promise) this.loading.delete(id);
        throw error;
      },
    );
    this.loading.set(id, promise);
    return promise;
  }

  private async read(id: string, now: number): Promise<ClientRecord | undefined> {
    const client = await this.store.get(id);
    if (!client) return undefined;
    const secrets = client.type === 'confidential' ? await this.store.activeSecrets(id, now) : [];
    return {
      client: freezeClient(client),
      secrets: secrets.map(({ hash, expiresAt }) => ({ hash: Buffer.from(hash, 'hex'), expiresAt })),
    };
  }

  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

function freezeClient(client: Client): Client {
  for (const list of [client.allowedOrigins, client.grantTypes, client.scopes, client.audiences]) Object.freeze(list);
  Object.freeze(client.guest);
  Object.freeze(client.user);
  return Object.freeze(client);
}

/**
 * Whether `presented` is one of `secrets` still live at `now`. Expiry is judged here, at the
 * time of the check, so an overlap ends on time even for a record read before it ended. The
 * presented secret is compared, in constant time, with every live secret, without stopping at
 * a match, so the time taken does not say which one matched.
 */
export function matchesLiveSecret(presented: string, secrets: readonly LiveSecret[], now: number): boolean {
  const presentedHash = secretDigest(presented);
  let matched = false;
  for (const { hash, expiresAt } of secrets) {
    if (expiresAt !== null && expiresAt <= now) continue;
    matched = (hash.length === presentedHash.length && timingSafeEqual(hash, presentedHash)) || matched;
  }
  return matched;
}
