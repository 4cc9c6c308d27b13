import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { register, startMailedServer, uniqueEmail, type MailedServer } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, json, refreshGuest } from './helpers/guests.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface Bucket {
  time: number;
  guests_created: number;
  converted: number;
  merged: number;
  conversions: number;
  culled: number;
  alerts: number;
  active_users: number;
  active_guests: number;
  active_registered: number;
}

interface Overview {
  range: string;
  interval: string;
  time_zone: string;
  from: number;
  to: number;
  buckets: Bucket[];
  totals: Record<string, number>;
  error?: string;
  error_description?: string;
}

const sum = (buckets: Bucket[], field: keyof Bucket) => buckets.reduce((total, bucket) => total + bucket[field], 0);

/**
 * The console's overview after real traffic over HTTP: four guests created (A, B, C, and D on a
 * client with strictly single-use session tokens), A registered with its guest session (a
 * conversion), and D reusing a rotated session token (a token_reuse alert).
 */
describeEachDatabase('the overview of the last 24 hours and 30 days', (database) => {
  let mailed: MailedServer;
  const overview = async (query: string) => {
    const answer = await mailed.admin.call('GET', `/admin/api/stats/overview${query}`);
    return { status: answer.status, body: answer.body as unknown as Overview };
  };

  before(async () => {
    mailed = await startMailedServer(database);
    const { server, smtp, clientId } = mailed;
    const strict = await mailed.admin.publicClient({ refresh_grace: 0 });

    // C writes metadata, so it has a stored row; A and B need none until A registers.
    const [a] = await Promise.all([
      createGuest(server, { client_id: clientId }),
      createGuest(server, { client_id: clientId }),
      createGuest(server, { client_id: clientId, metadata: { cart: ['sku-1'] } }),
    ]);
    const refreshedA = await refreshGuest(server, clientId, a!.body.session_token);
    assert.equal(refreshedA.status, 200);
    await register(server, smtp, {
      clientId,
      email: uniqueEmail('overview'),
      password: 'a long enough passphrase 1',
      sessionToken: refreshedA.body.session_token,
    });

    const d = await createGuest(server, { client_id: strict });
    assert.equal((await refreshGuest(server, strict, d.body.session_token)).status, 200);
    assert.equal((await refreshGuest(server, strict, d.body.session_token)).body.error, 'invalid_grant');
    // The alert is stored just after the request that raised it.
    for (let attempt = 0; attempt < 100; attempt++) {
      const alerts = await mailed.admin.call('GET', '/admin/api/alerts?detector=token_reuse');
      if ((alerts.body['alerts'] as unknown[]).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  after(() => mailed.stop());

  it('should count guests created, conversions, alerts and active users per UTC hour over the last 24 hours', async () => {
    const { status, body } = await overview('?range=24h');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.time_zone, 'UTC');
    assert.equal(body.interval, 'hour');
    assert.equal(body.buckets.length, 24);
    assert.equal(body.to - body.from, 24 * HOUR_MS);
    for (const [n, bucket] of body.buckets.entries()) {
      assert.equal(bucket.time % HOUR_MS, 0, 'buckets start on a UTC hour');
      assert.equal(bucket.time, body.from + n * HOUR_MS);
    }
    assert.ok(body.to > Date.now(), 'the last bucket is the current hour');
    // The test may straddle an hour: sums over the buckets, not one bucket.
    assert.equal(sum(body.buckets, 'guests_created'), 4);
    assert.equal(sum(body.buckets, 'converted'), 1);
    assert.equal(sum(body.buckets, 'conversions'), 1);
    assert.equal(sum(body.buckets, 'alerts'), 1);
    assert.ok(body.buckets.some((bucket) => bucket.active_users > 0));
    assert.deepEqual(body.totals, {
      ...body.totals,
      // C's row, and A's, registered; B and D never needed a user row (a refresh stores a session row only).
      guests: 1,
      registered_users: 1,
      // A was active as a guest and as a registered user: one person.
      active_users_24h: 4,
      active_guests_24h: 4,
      active_registered_24h: 1,
      active_users_30d: 4,
      guests_created: 4,
      conversions: 1,
      alerts: 1,
    });
  });

  it('should count the same per UTC day over the last 30 days, and answer 24h by default', async () => {
    const { status, body } = await overview('?range=30d');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.interval, 'day');
    assert.equal(body.buckets.length, 30);
    assert.equal(body.from % DAY_MS, 0);
    assert.equal(body.to - body.from, 30 * DAY_MS);
    assert.equal(sum(body.buckets, 'guests_created'), 4);
    assert.equal(sum(body.buckets, 'conversions'), 1);
    assert.equal(sum(body.buckets, 'alerts'), 1);
    assert.ok(sum(body.buckets, 'active_users') >= 4);
    assert.equal((await overview('')).body.range, '24h');
  });

  it('should refuse an unknown range and a request without an admin token', async () => {
    const bad = await overview('?range=7d');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_request');
    const anonymous = await json(await fetch(`${mailed.server.url}/admin/api/stats/overview`));
    assert.equal(anonymous.status, 401);
  });
});
