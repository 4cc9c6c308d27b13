import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { type Answer, type Cluster, call, clusterSkipReason, PROPAGATION_MS, SLOW_POLLS, startCluster, untilEveryNode } from './helpers/cluster.js';
import { ORIGIN } from './helpers/guests.js';
import { type OwnTopology, redisServerInstalled, startOwnRedisCluster, startOwnSentinel } from './helpers/redis.js';

/**
 * Two nodes behind the round-robin proxy, on a Redis reached through Sentinel and on a Redis
 * Cluster, each started by this test on loopback ports. What the scale-out design promises of one Redis must
 * hold on both, and the Cluster is where it can break: a Lua script whose keys sit in different
 * slots is refused (CROSSSLOT), PUBLISH must cross the cluster bus to a subscriber on another
 * shard, and the detection stream lives on one shard while each node reads it through its own
 * connection. test/cluster.test.ts covers the same promises in more depth on one Redis server.
 */

/** Low thresholds so that a flood trips in a few requests (as test/cluster.test.ts). */
const DETECTION = {
  engine: { cold_floor_factor: 1 },
  detectors: { signup_flood: { prefix_floor: 8, containment: { action: 'block_prefix', duration_s: 600 } } },
};

const skip = redisServerInstalled()
  ? clusterSkipReason(true)
  : 'redis-server is not installed: the Sentinel and Cluster tests start their own (apt-get install redis-server)';

function topology(name: string, start: (dir: string) => Promise<OwnTopology>): void {
  describe(`two nodes on ${name}`, { skip }, () => {
    let dir: string;
    let redis: OwnTopology | undefined;
    let cluster: Cluster | undefined;
    let admin: (method: string, path: string, body?: unknown) => Promise<Answer>;
    let clientId: string;
    const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });
    const createGuest = (base: string, ip: string, extra: Record<string, string> = {}) =>
      call(base, 'POST', '/anonymous/token', { headers: { ...from(ip), ...extra }, body: { client_id: clientId } });
    const nodes = () => cluster!.nodes;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'guestpass-redis-topology-'));
      redis = await start(dir);
      cluster = await startCluster({
        nodes: 2,
        redisUrl: redis.url,
        env: { ...SLOW_POLLS, GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION), GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION: '30' },
      });
      const ops = await cluster.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
      const token = await cluster.clientCredentialsToken(ops.client_id, ops.client_secret!);
      admin = (method, path, body) => call(cluster!.url, method, path, { headers: { authorization: `Bearer ${token}` }, body });
      const created = await admin('POST', '/admin/api/clients', {
        name: 'web',
        type: 'public',
        allowed_origins: [ORIGIN],
        guest: { scopes: ['telemetry:write'] },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      clientId = created.body['client_id'] as string;
    });
    after(async () => {
      await cluster?.stop();
      await redis?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('should report Redis up in /readyz on every node', async () => {
      for (const node of nodes()) assert.deepEqual((await call(node.url, 'GET', '/readyz')).body, { status: 'ready', redis: 'up' });
    });

    it('should hold the guest-creation limit per IP across both nodes (60 a minute, not 120)', async () => {
      const answers = await Promise.all(Array.from({ length: 70 }, () => createGuest(cluster!.url, '127.0.0.21')));
      assert.equal(new Set(answers.map((answer) => answer.headers.get('x-served-by'))).size, 2, 'both nodes took their turn');
      const statuses = answers.map((answer) => answer.status);
      assert.equal(statuses.filter((status) => status === 200).length, 60);
      assert.equal(statuses.filter((status) => status === 429).length, 10);
    });

    it('should hold a session’s telemetry limit across both nodes (one script over the session’s and client’s keys)', async () => {
      const guest = await createGuest(cluster!.url, '127.0.0.22');
      const token = guest.body['access_token'] as string;
      const statuses: number[] = [];
      for (let batch = 0; batch < 5; batch++) {
        const events = Array.from({ length: 10 }, () => ({ id: randomUUID(), name: 'page.view', ts: Date.now() }));
        const sent = await call(cluster!.url, 'POST', '/v1/events', { headers: { authorization: `Bearer ${token}`, origin: ORIGIN }, body: { events } });
        statuses.push(sent.status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 429, 429], 'three batches of 10 fit, on whichever node they land');
    });

    it('should refuse on one node a DPoP proof the other accepted', async () => {
      const key = await generateKeyPair('ES256');
      const proof = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: `${cluster!.url}/anonymous/token` })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(key.publicKey) })
        .setIssuedAt()
        .sign(key.privateKey);
      const [first, second] = nodes();
      const accepted = await createGuest(first!.url, '127.0.0.23', { dpop: proof });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body['token_type'], 'DPoP');
      const replayed = await createGuest(second!.url, '127.0.0.23', { dpop: proof });
      assert.equal(replayed.status, 400);
      assert.equal(replayed.body['error'], 'invalid_dpop_proof');
      assert.match(String(replayed.body['error_description']), /already used/);
    });

    it('should apply a client change and a key rotation on both nodes within a second (pub/sub notices)', async () => {
      const created = await admin('POST', '/admin/api/clients', { name: 'shop', type: 'public', allowed_origins: [ORIGIN] });
      const shop = created.body['client_id'] as string;
      for (const node of nodes()) {
        const guest = await call(node.url, 'POST', '/anonymous/token', { headers: from('127.0.0.24'), body: { client_id: shop } });
        assert.equal(guest.status, 200, JSON.stringify(guest.body));
      }
      assert.equal((await admin('DELETE', `/admin/api/clients/${shop}`)).status, 204);
      const clientTook = await untilEveryNode(cluster!, async (url) => {
        const refused = await call(url, 'POST', '/anonymous/token', { headers: from('127.0.0.24'), body: { client_id: shop } });
        return refused.status === 401 && refused.body['error'] === 'invalid_client';
      });
      assert.ok(clientTook <= PROPAGATION_MS, `the client change took ${Math.round(clientTook)} ms`);

      // The CLI is a third Redis client on the same topology: its notice reaches both nodes.
      const { kid } = JSON.parse(await cluster!.cli(['keys', 'rotate', '--now', '--json'])) as { kid: string };
      const keyTook = await untilEveryNode(cluster!, async (url) => {
        const jwks = (await call(url, 'GET', '/.well-known/jwks.json')).body as { keys: { kid: string }[] };
        return jwks.keys.some((candidate) => candidate.kid === kid);
      });
      assert.ok(keyTook <= PROPAGATION_MS, `the key rotation took ${Math.round(keyTook)} ms`);
    });

    it('should count one node’s sign-ups on the other (the detection stream) and enforce the block on both', async () => {
      const [first, second] = nodes();
      // Calibration: a flood on one node alone, refused after `floor` sign-ups.
      let floor = 0;
      for (let host = 1; host < 60 && floor === 0; host++) if ((await createGuest(first!.url, `198.18.50.${host}`)).status === 403) floor = host - 1;
      assert.ok(floor > 1, 'a flood on one node was refused');
      // Another network: half the flood on the first node, the rest on the second. Only if the
      // second sees the first's sign-ups through the stream is it refused at the same total.
      const half = Math.floor(floor / 2);
      for (let host = 1; host <= half; host++) assert.equal((await createGuest(first!.url, `198.18.51.${host}`)).status, 200);
      let total = 0;
      for (let host = half + 1; host < 60 && total === 0; host++) if ((await createGuest(second!.url, `198.18.51.${host}`)).status === 403) total = host - 1;
      assert.ok(total > 0, 'the spread flood was refused');
      process.stdout.write(`# one node refused a flood after ${floor} sign-ups; split ${half} + ${total - half} over two nodes, after ${total}\n`);
      // A node may answer one request before the event that tipped reaches it (milliseconds).
      assert.ok(total <= floor + 1, `one node refused after ${floor} sign-ups, the two together after ${total}`);

      // The block decided on the second node holds on the first within a second, for a request no detector counts.
      const took = await untilEveryNode(
        cluster!,
        async (url) => (await call(url, 'GET', '/.well-known/jwks.json', { headers: from('198.18.51.200') })).status === 403,
      );
      assert.ok(took <= PROPAGATION_MS, `took ${Math.round(took)} ms`);
    });
  });
}

topology('Redis Sentinel (redis+sentinel://)', startOwnSentinel);
topology('a Redis Cluster of three shards (redis+cluster://)', startOwnRedisCluster);
