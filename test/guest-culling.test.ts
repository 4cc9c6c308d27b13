import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { postJson, register, uniqueEmail } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, refreshGuest, type JsonResponse } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';
import { event, sendEvents } from './helpers/telemetry.js';
import type { DomainEvents } from '../src/events/types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PASSWORD = 'correct horse battery staple';

type CullView = {
  dry_run: boolean;
  complete: boolean;
  users: number;
  sessions: number;
  by_client: Record<string, { users: number; oldest_last_seen_at: number; newest_last_seen_at: number }>;
  oldest_last_seen_at: number | null;
  newest_last_seen_at: number | null;
  purged: { sessions: number; revocations: number; email_proofs: number };
};

/** An admin whose token is fetched afresh for every call: the tests move the clock by weeks. */
async function adminOf(server: TestServer): Promise<(method: string, path: string, body?: unknown) => Promise<JsonResponse>> {
  const ops = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
  return async (method, path, body) => {
    const token = await server.clientCredentialsToken(ops.client_id, ops.client_secret!);
    return json(
      await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  };
}

/** Everything but the flag that says which kind of run it was. */
const numbers = ({ dry_run: _dryRun, ...rest }: CullView) => rest;

async function rowsOf(server: TestServer, userId: string): Promise<{ users: number; sessions: number; proofs: number; events: number }> {
  const { db } = server.ctx.store;
  const count = async (table: 'users' | 'sessions' | 'email_tokens' | 'events', column: 'id' | 'user_id') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(column, '=', userId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    users: await count('users', 'id'),
    sessions: await count('sessions', 'user_id'),
    proofs: await count('email_tokens', 'user_id'),
    events: await count('events', 'user_id'),
  };
}

describeEachDatabase('culling stale guests (real HTTP, a movable clock)', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof adminOf>>;
  const t0 = Date.now();
  let clock = t0;
  const culled: DomainEvents['user.culled'][] = [];

  // Clients: web (sessions of 30 days, the default retention), shop (sessions of a day), and two
  // back ends that bring shop guests' ids: one whose sessions idle out in an hour.
  let web: string;
  let shop: string;
  let backend: { id: string; secret: string };
  let backendShortIdle: { id: string; secret: string };

  // The population, created at t0 and then left alone.
  const withMetadata: { userId: string; sessionToken: string; accessToken: string }[] = [];
  const refreshed: string[] = [];
  const rowless: string[] = [];
  let converted: string;
  let account: string;
  let mergedGuest: string;
  let abandonedSignUp: string;
  let pendingSignUp: string;
  const shopStale: string[] = [];
  let shopLive: string;
  let shopIdle: string;

  const guest = async (clientId: string, body: Record<string, unknown> = { metadata: { cart: ['apple'] } }) => {
    const created = await createGuest(server, { client_id: clientId, ...body });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body;
  };
  const bring = async (client: { id: string; secret: string }, userId: string) => {
    const created = await createGuest(server, { client_id: client.id, client_secret: client.secret, user_id: userId }, {});
    assert.equal(created.status, 200, JSON.stringify(created.body));
  };
  const cull = async (dryRun: boolean): Promise<CullView> => {
    const answer = await admin('POST', '/admin/api/guests/cull', { dry_run: dryRun });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as unknown as CullView;
  };

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({ database, now: () => clock, env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_CULL_INTERVAL: '0' } });
    server.ctx.events.on('user.culled', (payload) => culled.push(payload));
    admin = await adminOf(server);
    const clients = new GuestAdmin(server);
    web = await clients.publicClient({ scopes: ['telemetry:write'] });
    shop = await clients.publicClient({ session_ttl: 86400 });
    backend = await clients.confidentialClient();
    backendShortIdle = await clients.confidentialClient({ idle_timeout: 3600 });

    for (let i = 0; i < 3; i += 1) {
      const created = await guest(web);
      withMetadata.push({ userId: created.user_id, sessionToken: created.session_token, accessToken: created.access_token });
    }
    assert.equal((await sendEvents(server, withMetadata[0]!.accessToken, [event({ ts: clock }), event({ ts: clock })])).status, 202);
    for (let i = 0; i < 2; i += 1) {
      const created = await guest(web);
      assert.equal((await refreshGuest(server, web, created.session_token)).status, 200);
      refreshed.push(created.user_id);
    }
    for (let i = 0; i < 2; i += 1) {
      const created = await guest(web, {});
      assert.equal((await refreshGuest(server, web, created.session_token)).status, 200);
      rowless.push(created.user_id);
    }
    const toConvert = await guest(web);
    converted = (await register(server, smtp, { clientId: web, email: uniqueEmail('converted'), password: PASSWORD, sessionToken: toConvert.session_token }))
      .body['user_id'] as string;
    assert.equal(converted, toConvert.user_id);

    const accountEmail = uniqueEmail('account');
    account = (await register(server, smtp, { clientId: web, email: accountEmail, password: PASSWORD })).body['user_id'] as string;
    const toMerge = await guest(web);
    const login = await postJson(server, '/accounts/login', { client_id: web, email: accountEmail, password: PASSWORD, session_token: toMerge.session_token });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    mergedGuest = toMerge.user_id;

    const abandoning = await guest(web);
    const signup = await postJson(server, '/accounts/signup', { client_id: web, email: uniqueEmail('abandoned'), session_token: abandoning.session_token });
    assert.equal(signup.status, 202);
    abandonedSignUp = abandoning.user_id;
    pendingSignUp = (await guest(web)).user_id;

    for (let i = 0; i < 2; i += 1) shopStale.push((await guest(shop)).user_id);
    shopLive = (await guest(shop)).user_id;
    await bring(backend, shopLive);
    shopIdle = (await guest(shop)).user_id;
    await bring(backendShortIdle, shopIdle);
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  it('refuses a retention shorter than the session lifetime, and says why', async () => {
    const refused = await admin('PATCH', `/admin/api/clients/${shop}`, { guest: { retention: 3600 } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body['error'], 'invalid_client_metadata');
    assert.match(String(refused.body['error_description']), /no live session token may point at a deleted user/);
  });

  it('a day later culls the stale guests of the one-day client, but not one with a live session elsewhere', async () => {
    clock = t0 + DAY + 2 * HOUR;
    const dry = await cull(true);
    assert.equal(dry.dry_run, true);
    assert.deepEqual(Object.keys(dry.by_client), [shop]);
    assert.equal(dry.users, 3, JSON.stringify(dry));
    assert.ok(dry.purged.email_proofs >= 1, 'the abandoned sign-up’s proof expired over a day ago');

    const real = await cull(false);
    assert.equal(real.dry_run, false);
    assert.deepEqual(numbers(real), numbers(dry));
    for (const userId of [...shopStale, shopIdle]) assert.deepEqual(await rowsOf(server, userId), { users: 0, sessions: 0, proofs: 0, events: 0 }, userId);
    // Its session at the back end is unexpired and was used within that client's idle timeout.
    assert.equal((await rowsOf(server, shopLive)).users, 1);
    assert.equal((await rowsOf(server, withMetadata[0]!.userId)).users, 1, 'web guests are kept for 30 days');
    assert.equal((await cull(true)).users, 0, 'nothing left to cull');
  });

  it('a month later: the dry run equals the real run, and only stale guests go', async () => {
    clock = t0 + 31 * DAY + 2 * HOUR;
    // A sign-up proof still waiting for its code keeps its guest, however stale (written here as
    // a sign-up leaves it: no flow can date one into the past).
    await server.ctx.store.db
      .insertInto('email_tokens')
      .values({
        id: `pending-${pendingSignUp}`,
        purpose: 'verify',
        email: uniqueEmail('pending'),
        code_hash: 'x',
        link_hash: `pending-${pendingSignUp}`,
        user_id: pendingSignUp,
        session_id: null,
        password_hash: null,
        client_id: web,
        attempts: 0,
        expires_at: clock + 10 * 60_000,
        consumed_at: null,
        created_at: clock,
      })
      .execute();
    const rollupsBefore = Number(
      (
        await server.ctx.store.db
          .selectFrom('event_rollups')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    culled.length = 0;

    const dry = await cull(true);
    const stale = [...withMetadata.map(({ userId }) => userId), ...refreshed, abandonedSignUp, shopLive];
    assert.equal(dry.users, stale.length, JSON.stringify(dry));
    assert.equal(dry.by_client[web]?.users, stale.length - 1);
    assert.equal(dry.by_client[shop]?.users, 1);
    assert.ok(dry.purged.sessions >= rowless.length, 'expired sessions of guests without a row are purged');
    assert.ok(dry.oldest_last_seen_at !== null && dry.oldest_last_seen_at >= t0 && dry.newest_last_seen_at! <= t0 + HOUR);

    const real = await cull(false);
    assert.deepEqual(numbers(real), numbers(dry));
    assert.deepEqual(
      culled.reduce((sum, batch) => sum + batch.users, 0),
      real.users,
    );
    assert.equal(
      culled.reduce((sum, batch) => sum + (batch.by_client[web] ?? 0), 0),
      stale.length - 1,
    );
    assert.ok(
      culled.every((batch) => !JSON.stringify(batch).includes(stale[0]!)),
      'user.culled carries no ids',
    );
    const metric = await server.ctx.metrics.registry.getSingleMetric('guestpass_guests_culled_total')!.get();
    assert.equal(metric.values.find((value) => value.labels['client_id'] === web)?.value, stale.length - 1);

    for (const userId of stale) assert.deepEqual(await rowsOf(server, userId), { users: 0, sessions: 0, proofs: 0, events: 0 }, userId);
    for (const userId of rowless) assert.equal((await rowsOf(server, userId)).sessions, 0, 'expired session rows are purged');
    const rollupsAfter = Number(
      (
        await server.ctx.store.db
          .selectFrom('event_rollups')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    assert.equal(rollupsAfter, rollupsBefore, 'rollups are aggregates and stay');
    assert.equal((await cull(true)).users, 0, 'everything stale went exactly once');
  });

  it('never culls a converted guest, a merged guest or a guest with a pending sign-up', async () => {
    assert.equal((await rowsOf(server, converted)).users, 1);
    assert.equal((await rowsOf(server, account)).users, 1);
    assert.equal((await rowsOf(server, pendingSignUp)).users, 1);
    const merged = await admin('GET', `/admin/api/users/${mergedGuest}`);
    assert.equal(merged.status, 200);
    assert.equal(merged.body['merged_into'], account, 'the merged guest’s alias still resolves');
    const merger = await admin('GET', `/admin/api/users/${account}`);
    assert.deepEqual([merger.body['merged_guests'], merger.body['merged_guests_count']], [[mergedGuest], 1], 'the account names the guests merged into it');
  });

  it('refuses a culled guest’s old session token: it expired before the guest was culled', async () => {
    const refused = await refreshGuest(server, web, withMetadata[1]!.sessionToken);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.match(String((refused.body as { error_description?: string }).error_description), /expired/);
  });
});
