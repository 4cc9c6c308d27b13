import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult } from 'jose';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, ORIGIN, type GuestTokens, type JsonResponse } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Thresholds low enough to trip in a test; the same JSON an operator puts in GUESTPASS_ANOMALY_CONFIG. */
const DETECTION = {
  engine: { cold_floor_factor: 1 },
  detectors: {
    signup_flood: { prefix_floor: 8, containment: { action: 'block_prefix', duration_s: 600 } },
    refresh_storm: { floor: 4, containment: { action: 'throttle', duration_s: 300 } },
  },
};

/** One trusted proxy in front (the test itself): the last X-Forwarded-For hop is the client. */
const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });

/** An RFC 9449 §4.2 proof. */
async function dpopProof(key: GenerateKeyPairResult, url: string): Promise<string> {
  const jwk = await exportJWK(key.publicKey);
  return new SignJWT({ jti: randomUUID(), htm: 'POST', htu: url })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

interface AlertView {
  id: string;
  detector: string;
  entity: { kind: string; id: string };
  status: string;
  action: string;
  evidence?: Record<string, unknown>;
}

describeEachDatabase('anomaly containment over HTTP', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION) } });
    admin = new GuestAdmin(server);
    // Strict single use, so replaying the immediate predecessor is reuse (the default refresh_grace would accept it).
    clientId = await admin.publicClient({ refresh_grace: 0 });
    await server.ctx.anomaly.geo.ready();
  });
  after(() => server.stop());

  const refresh = async (sessionToken: string, ip: string): Promise<JsonResponse<GuestTokens & { error?: string }>> =>
    json(
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'x-forwarded-for': ip },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: sessionToken }),
      }),
    );
  const sessionStatus = async (accessToken: string) =>
    (await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

  /** Alerts are stored just after the request that raised them; poll briefly. */
  async function alertsWhere(query: string, expected = 1): Promise<AlertView[]> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const listed = await admin.call('GET', `/admin/api/alerts?${query}`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const alerts = listed.body['alerts'] as AlertView[];
      if (alerts.length >= expected) return alerts;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`no alert for ${query}`);
  }

  /** Creates guests from one /24 until the network is refused; returns how many got through. */
  async function flood(network: string): Promise<{ created: number; refused: JsonResponse }> {
    for (let host = 1; host < 60; host++) {
      const response = await createGuest(server, { client_id: clientId }, from(`${network}.${host}`));
      if (response.status !== 200) return { created: host - 1, refused: response as unknown as JsonResponse };
    }
    assert.fail(`${network}.0/24 was never refused`);
  }

  it('should put in events the prefix of the hop the trusted proxy reports, not a spoofed first hop', async () => {
    const prefixes: (string | undefined)[] = [];
    const off = server.ctx.events.on('session.created', (event) => prefixes.push(event.network?.ip_prefix));
    await createGuest(server, { client_id: clientId }, from('198.51.100.7, 203.0.113.9'));
    off();
    assert.deepEqual(prefixes, ['203.0.113.0/24']);
  });

  it('should store an alert for session-token reuse and refuse the session’s newest access token', async () => {
    const guest = (await createGuest(server, { client_id: clientId }, from('192.0.2.10'))).body;
    const successor = (await refresh(guest.session_token, '192.0.2.10')).body;
    assert.equal(await sessionStatus(successor.access_token), 200);
    assert.equal((await refresh(guest.session_token, '192.0.2.99')).body.error, 'invalid_grant');
    const [alert] = await alertsWhere(`detector=token_reuse&entity_kind=session&entity_id=${guest.session_id}`);
    assert.equal(alert?.action, 'revoke');
    assert.equal(await sessionStatus(successor.access_token), 401);
  });

  it('should revoke a session seen in London and then in Australia seconds later (impossible travel)', async () => {
    const guest = (await createGuest(server, { client_id: clientId }, from('81.2.69.10'))).body;
    const inAustralia = await refresh(guest.session_token, '144.135.75.10');
    assert.equal(inAustralia.status, 200, 'the request that reveals the travel still completes');
    const [alert] = await alertsWhere(`detector=impossible_travel&entity_id=${guest.session_id}`);
    assert.equal(alert?.action, 'revoke');
    const read = (await admin.call('GET', `/admin/api/alerts/${alert!.id}`)).body as unknown as AlertView;
    assert.ok(read.evidence, 'evidence is shown when one alert is read');
    assert.doesNotMatch(JSON.stringify(read.evidence), /81\.2\.69|1\.1\.1\./, 'evidence never carries an address or prefix');
    assert.equal(await sessionStatus(inAustralia.body.access_token), 401);
    assert.equal((await refresh(inAustralia.body.session_token, '144.135.75.10')).body.error, 'invalid_grant');
    assert.equal((await admin.call('GET', `/admin/api/sessions/${guest.session_id}`)).body['revoked_reason'], 'anomaly_impossible_travel');
  });

  it('should revoke a DPoP-bound session refreshed with a proof from another key', async () => {
    const [owner, thief] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
    const issuer = server.ctx.issuer.value;
    const guest = await createGuest(server, { client_id: clientId }, { ...from('198.18.40.1'), dpop: await dpopProof(owner, `${issuer}/anonymous/token`) });
    assert.equal(guest.body.token_type, 'DPoP');
    const stolen = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'x-forwarded-for': '198.18.41.1', dpop: await dpopProof(thief, `${issuer}/oauth/token`) },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: guest.body.session_token }),
    });
    assert.equal(stolen.status, 400);
    const [alert] = await alertsWhere(`detector=dpop_mismatch&entity_id=${guest.body.session_id}`);
    assert.equal(alert?.action, 'revoke');
    assert.equal((await admin.call('GET', `/admin/api/sessions/${guest.body.session_id}`)).body['revoked_reason'], 'anomaly_dpop_mismatch');
  });

  it('should block a network that floods sign-ups from the next request, and only that network', async () => {
    const { created, refused } = await flood('198.18.7');
    assert.ok(created >= DETECTION.detectors.signup_flood.prefix_floor, `blocked only after the floor (${created})`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body['error'], 'access_denied');
    assert.ok(Number(refused.headers.get('retry-after')) > 500);
    assert.equal((await createGuest(server, { client_id: clientId }, from('198.18.7.250'))).status, 403, 'every address of the /24');
    assert.equal((await createGuest(server, { client_id: clientId }, from('198.18.8.1'))).status, 200, 'the neighbouring /24 works');
    const blocks = (await admin.call('GET', '/admin/api/blocks')).body['blocks'] as { entity: { id: string }; action: string; alert_id: string }[];
    const block = blocks.find((candidate) => candidate.entity.id === '198.18.7.0/24');
    assert.equal(block?.action, 'block_prefix');
    const [alert] = await alertsWhere('detector=signup_flood&entity_kind=prefix&entity_id=198.18.7.0%2F24');
    assert.equal(block?.alert_id, alert?.id);
  });

  it('should throttle a refresh storm with 429 and Retry-After while other sessions refresh', async () => {
    const storming = (await createGuest(server, { client_id: clientId }, from('198.18.20.5'))).body;
    const calm = (await createGuest(server, { client_id: clientId }, from('198.18.21.5'))).body;
    let token = storming.session_token;
    let response: JsonResponse<GuestTokens & { error?: string }> | undefined;
    for (let i = 0; i < 30; i++) {
      response = await refresh(token, '198.18.20.5');
      if (response.status !== 200) break;
      token = response.body.session_token;
    }
    assert.equal(response?.status, 429);
    assert.equal(response?.body.error, 'rate_limited');
    assert.ok(Number(response?.headers.get('retry-after')) > 200);
    assert.equal((await refresh(calm.session_token, '198.18.21.5')).status, 200);
    const [alert] = await alertsWhere(`detector=refresh_storm&entity_id=${storming.session_id}`);
    assert.equal(alert?.action, 'throttle');
  });

  it('should list, filter, page, read and update alerts through the admin API', async () => {
    const all = await alertsWhere('limit=200', 3);
    const first = await admin.call('GET', '/admin/api/alerts?limit=1');
    assert.equal((first.body['alerts'] as AlertView[]).length, 1);
    assert.equal((first.body['alerts'] as AlertView[])[0]?.evidence, undefined, 'lists leave evidence out');
    const second = await admin.call('GET', `/admin/api/alerts?limit=1&cursor=${String(first.body['next_cursor'])}`);
    assert.equal((second.body['alerts'] as AlertView[])[0]?.id, all[1]?.id);
    const future = await admin.call('GET', `/admin/api/alerts?since=${new Date(Date.now() + 3_600_000).toISOString()}`);
    assert.deepEqual(future.body['alerts'], []);

    const target = all.find((alert) => alert.detector === 'token_reuse')!;
    const patched = await admin.call('PATCH', `/admin/api/alerts/${target.id}`, { status: 'acknowledged' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body['status'], 'acknowledged');
    assert.equal((await alertsWhere(`status=acknowledged&detector=token_reuse`))[0]?.id, target.id);

    for (const [method, path, body] of [
      ['PATCH', `/admin/api/alerts/${target.id}`, { status: 'acknowledged', colour: 'x' }],
      ['PATCH', `/admin/api/alerts/${target.id}`, { status: 'closed' }],
      ['GET', '/admin/api/alerts?colour=red', undefined],
      ['GET', '/admin/api/alerts?cursor=bm90IGEgY3Vyc29y', undefined],
      ['GET', '/admin/api/alerts?since=yesterday', undefined],
    ] as const) {
      const refused = await admin.call(method, path, body);
      assert.equal(refused.status, 400, `${method} ${path}`);
      assert.equal(refused.body['error'], 'invalid_request');
    }
    const missing = await admin.call('GET', '/admin/api/alerts/00000000-0000-7000-8000-000000000000');
    assert.deepEqual([missing.status, missing.body['error']], [404, 'not_found']);
    assert.equal((await fetch(`${server.url}/admin/api/alerts`)).status, 401);
  });

  it('should lift the block and allow-list the network when its alert is marked a false positive', async () => {
    const [alert] = await alertsWhere('detector=signup_flood&entity_id=198.18.7.0%2F24');
    const verdict = await admin.call('PATCH', `/admin/api/alerts/${alert!.id}`, { status: 'false_positive' });
    assert.equal(verdict.body['status'], 'false_positive');
    assert.ok(Number(verdict.body['allow_until']) > Date.now());
    for (let host = 100; host < 130; host++) {
      assert.equal((await createGuest(server, { client_id: clientId }, from(`198.18.7.${host}`))).status, 200, 'allow-listed: no new block');
    }
    const blocks = (await admin.call('GET', '/admin/api/blocks')).body['blocks'] as { entity: { id: string } }[];
    assert.equal(
      blocks.some((block) => block.entity.id === '198.18.7.0/24'),
      false,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /guestpass_anomaly_precision\{detector="signup_flood"\} 0\b/);
    assert.match(metrics, /guestpass_anomaly_precision\{detector="token_reuse"\} 1\b/);
  });

  it('should lift a block by id and refuse to lift it twice', async () => {
    await flood('198.18.30');
    const blocks = (await admin.call('GET', '/admin/api/blocks')).body['blocks'] as { id: string; entity: { id: string } }[];
    const block = blocks.find((candidate) => candidate.entity.id === '198.18.30.0/24')!;
    assert.equal((await admin.call('DELETE', `/admin/api/blocks/${block.id}`)).status, 204);
    assert.equal((await createGuest(server, { client_id: clientId }, from('198.18.30.77'))).status, 200);
    const again = await admin.call('DELETE', `/admin/api/blocks/${block.id}`);
    assert.deepEqual([again.status, again.body['error']], [404, 'not_found']);
  });
});
