import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { hashSecret } from '../crypto/secrets.js';
import { EventBus } from '../events/bus.js';
import { Outbox } from '../events/outbox.js';
import { ClientAuthenticator } from '../oauth/client-auth.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateToLatest } from '../storage/migrate.js';
import { ClientCache, matchesLiveSecret } from './cache.js';
import { ClientService } from './service.js';
import { ClientStore } from './store.js';

const request = { headers: {}, ip: '127.0.0.1' } as unknown as FastifyRequest;

/** A client service on `db` with a bus of its own, as another process (the CLI) has. */
function serviceOn(db: Store['db']): ClientService {
  const events = new EventBus();
  return new ClientService({ store: new ClientStore(db), events, outbox: new Outbox({ events, now: Date.now }) });
}

describeEachDatabase('ClientCache', (database) => {
  let store: Store;
  let clients: ClientStore;
  let service: ClientService;
  let events: EventBus;
  let closeStore: () => Promise<void>;
  before(async () => {
    ({ store, close: closeStore } = await openTestStore(database, 'gp_client_cache'));
    clients = new ClientStore(store.db);
    events = new EventBus();
    service = new ClientService({ store: clients, events, outbox: new Outbox({ events, now: Date.now }) });
  });
  after(() => closeStore());

  it('should serve a client from memory until its TTL is over, then read it again', async () => {
    let clock = 0;
    const cache = new ClientCache({ store: clients, events, ttlMs: 5000, clock: () => clock });
    const { client } = await service.create({ name: 'ttl', type: 'confidential' });
    assert.equal((await cache.lookup(client.id)).fromMemory, false);
    clock = 4999;
    const cached = await cache.lookup(client.id);
    assert.equal(cached.fromMemory, true);
    assert.equal(cached.record?.client.id, client.id);
    assert.ok(Object.isFrozen(cached.record?.client), 'a shared record cannot be changed by one request');
    clock = 5000;
    assert.equal((await cache.lookup(client.id)).fromMemory, false);
  });

  it('should forget a client at once when this process rotates its secret or deletes it', async () => {
    const cache = new ClientCache({ store: clients, events });
    const created = await service.create({ name: 'events', type: 'confidential' });
    const before = await cache.lookup(created.client.id);
    assert.ok(matchesLiveSecret(created.clientSecret!, before.record!.secrets, Date.now()));

    const rotated = await service.rotateSecret(created.client.id, 0);
    const after = await cache.lookup(created.client.id);
    assert.equal(after.fromMemory, false);
    assert.ok(matchesLiveSecret(rotated.clientSecret, after.record!.secrets, Date.now()));
    assert.ok(!matchesLiveSecret(created.clientSecret!, after.record!.secrets, Date.now()));

    await service.delete(created.client.id);
    assert.equal((await cache.lookup(created.client.id)).record, undefined);
  });

  it('should not remember an unknown client id', async () => {
    const cache = new ClientCache({ store: clients, events: new EventBus() });
    assert.equal((await cache.lookup('no-such-client')).record, undefined);
    assert.equal((await cache.lookup('no-such-client')).fromMemory, false);
  });

  it('should not remember a read that an invalidation overtook', async () => {
    const cache = new ClientCache({ store: clients, events });
    const { client } = await service.create({ name: 'race', type: 'public' });
    const reading = cache.lookup(client.id);
    cache.invalidate(client.id);
    assert.equal((await reading).record?.client.id, client.id);
    assert.equal((await cache.lookup(client.id)).fromMemory, false);
  });

  it('should hold at most maxEntries clients', async () => {
    const cache = new ClientCache({ store: clients, events, maxEntries: 2 });
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) ids.push((await service.create({ name, type: 'public' })).client.id);
    for (const id of ids) await cache.lookup(id);
    assert.equal((await cache.lookup(ids[2]!)).fromMemory, true);
    assert.equal((await cache.lookup(ids[0]!)).fromMemory, false, 'the oldest entry made room');
  });
});

describe('ClientCache on a SQLite file shared with another process', () => {
  let dir: string;
  let ours: Store;
  let theirs: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'guestpass-client-cache-'));
    ours = await openDatabase({ url: join(dir, 'db.sqlite') });
    await migrateToLatest(ours);
    // A second connection stands for the CLI: its writes raise no events in our process.
    theirs = await openDatabase({ url: join(dir, 'db.sqlite') });
  });
  after(async () => {
    await ours.close();
    await theirs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse a secret cut off elsewhere and accept its successor at once', async () => {
    const cli = serviceOn(theirs.db);
    const created = await cli.create({ name: 'rotated-elsewhere', type: 'confidential' });
    const id = created.client.id;
    // changeCheckMs so long that only the retry on a mismatch can see the new secret.
    const authenticator = (changeCheckMs: number) => {
      const options = { store: new ClientStore(ours.db), events: new EventBus() };
      return new ClientAuthenticator({ ...options, cache: new ClientCache({ ...options, changeCheckMs }) });
    };
    const slow = authenticator(1e9);
    const prompt = authenticator(0);
    for (const authenticator of [slow, prompt]) await authenticator.authenticate(request, { client_id: id, client_secret: created.clientSecret! });

    const rotated = await cli.rotateSecret(id, 0);
    // Before any new secret is tried, which would make both read the client again anyway.
    await assert.rejects(prompt.authenticate(request, { client_id: id, client_secret: created.clientSecret! }), { error: 'invalid_client' });
    for (const authenticator of [slow, prompt]) {
      const { client } = await authenticator.authenticate(request, { client_id: id, client_secret: rotated.clientSecret });
      assert.equal(client.id, id);
    }
  });

  it('should forget a client deleted elsewhere at the next change check', async () => {
    const cli = serviceOn(theirs.db);
    const { client } = await cli.create({ name: 'deleted-elsewhere', type: 'public' });
    let clock = 0;
    const cache = new ClientCache({ store: new ClientStore(ours.db), events: new EventBus(), changeCheckMs: 10, clock: () => clock });
    assert.ok((await cache.lookup(client.id)).record);
    await cli.delete(client.id);
    clock = 10;
    assert.equal((await cache.lookup(client.id)).record, undefined);
  });
});

describe('matchesLiveSecret', () => {
  const secret = (value: string, expiresAt: number | null) => ({ hash: Buffer.from(hashSecret(value), 'hex'), expiresAt });

  it('should stop matching exactly when the secret expires', () => {
    const secrets = [secret('old', 1000), secret('new', null)];
    assert.equal(matchesLiveSecret('old', secrets, 999), true);
    assert.equal(matchesLiveSecret('old', secrets, 1000), false, 'the database also keeps only expires_at > now');
    assert.equal(matchesLiveSecret('new', secrets, 1000), true);
    assert.equal(matchesLiveSecret('other', secrets, 0), false);
  });
});
