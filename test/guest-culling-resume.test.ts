import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { GuestCull, type ForgetUsers } from '../src/sessions/cull.js';
import type { DomainEvents } from '../src/events/types.js';

const DAY = 86_400_000;
const GUESTS = 12;
const BATCH = 5;

describeEachDatabase('the cull after a crash: batches are transactions, and the next run finishes', (database) => {
  let server: TestServer;
  const t0 = Date.now();
  let clock = t0;
  let clientId: string;
  const ids: string[] = [];
  const culled: DomainEvents['user.culled'][] = [];

  /** A cull on the server's own store and clock whose batches go through `forget` too. */
  const cullWith = (forget: ForgetUsers, purgeRevocations: () => Promise<number> = async () => 0) => {
    const { ctx } = server;
    return new GuestCull({
      database: ctx.store,
      sessions: ctx.sessionStore,
      outbox: ctx.outbox,
      metrics: ctx.metrics,
      now: ctx.now,
      listClients: () => ctx.clientStore.list(),
      peers: () => ({
        forget: [forget],
        revocations: { count: async () => 0, purge: purgeRevocations },
        emailProofs: { count: async () => 0, purge: async () => 0 },
      }),
      batchSize: BATCH,
      pauseMs: 0,
    });
  };
  const remaining = async () =>
    Number(
      (
        await server.ctx.store.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('id', 'in', ids)
          .executeTakeFirstOrThrow()
      ).n,
    );

  before(async () => {
    server = await startTestServer({ database, now: () => clock, env: { GUESTPASS_CULL_INTERVAL: '0', GUESTPASS_CULL_BATCH_SIZE: String(BATCH) } });
    server.ctx.events.on('user.culled', (payload) => culled.push(payload));
    clientId = await new GuestAdmin(server).publicClient({ session_ttl: 86400 });
    for (let i = 0; i < GUESTS; i += 1) {
      const created = await createGuest(server, { client_id: clientId, metadata: { n: i } });
      assert.equal(created.status, 200);
      ids.push(created.body.user_id);
    }
    clock = t0 + 2 * DAY;
  });
  after(() => server?.stop());

  it('runs one cull at a time: one per node, and with PostgreSQL one across nodes', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // Held in the purge that comes before the batches: on SQLite, a batch's transaction would
    // hold the one connection, and every other query of this process would wait for it.
    const holder = cullWith(
      async () => {},
      async () => {
        entered();
        await released;
        throw new Error('stopped on purpose');
      },
    );
    const first = holder.run();
    await inside;
    const inProgress = (error: unknown) => (error as { code?: string }).code === 'CULL_IN_PROGRESS';
    await assert.rejects(holder.run(), inProgress);
    // Another node: its own service, the same database. SQLite has one process per file.
    if (database === 'postgres') await assert.rejects(cullWith(async () => {}).run(), inProgress);
    assert.equal((await holder.run({ dryRun: true })).users, GUESTS, 'a dry run never waits');
    release();
    await assert.rejects(first, /stopped on purpose/);
    assert.equal(await remaining(), GUESTS);
    assert.equal(culled.length, 0);
  });

  it('keeps the batches that committed when a later one fails, and rolls the failed one back', async () => {
    let batches = 0;
    const seen: string[] = [];
    const crashing = cullWith(async (userIds) => {
      batches += 1;
      if (batches === 2) throw new Error('the node died in the middle of a batch');
      seen.push(...userIds);
    });
    await assert.rejects(crashing.run(), /the node died/);
    assert.equal(seen.length, BATCH);
    assert.equal(await remaining(), GUESTS - BATCH, 'one batch committed, the failed one rolled back');
    assert.equal(
      culled.reduce((sum, batch) => sum + batch.users, 0),
      BATCH,
    );
  });

  it('stops between batches when asked to, and says it did not finish', async () => {
    const stop = new AbortController();
    const stopping = cullWith(async () => stop.abort());
    const report = await stopping.run({ signal: stop.signal });
    assert.equal(report.complete, false);
    assert.equal(report.users, BATCH);
    assert.equal(await remaining(), GUESTS - 2 * BATCH);
  });

  it('finishes on the next run: every guest gone exactly once', async () => {
    const ops = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    const token = await server.clientCredentialsToken(ops.client_id, ops.client_secret!);
    const run = await json(
      await fetch(`${server.url}/admin/api/guests/cull`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body['users'], GUESTS - 2 * BATCH);
    assert.equal(run.body['complete'], true);
    assert.equal(await remaining(), 0);
    assert.equal(
      culled.reduce((sum, batch) => sum + batch.users, 0),
      GUESTS,
      'each guest counted in exactly one committed batch',
    );
  });
});
