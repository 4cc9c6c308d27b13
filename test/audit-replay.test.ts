import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, ORIGIN, type GuestTokens, type JsonResponse } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Thresholds low enough to trip in a test, given to the server and to the replay alike. */
const DETECTION = {
  engine: { cold_floor_factor: 1 },
  detectors: {
    signup_flood: { prefix_floor: 8, containment: { action: 'block_prefix', duration_s: 600 } },
    refresh_storm: { floor: 4, containment: { action: 'throttle', duration_s: 300 } },
  },
};

/** One trusted proxy in front (the test itself): the last X-Forwarded-For hop is the client. */
const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });

interface AlertView {
  detector: string;
  entity: { kind: string; id: string };
}

const keyOf = (detector: string, entity: { kind: string; id: string }) => `${detector} ${entity.kind} ${entity.id}`;

describeEachDatabase('events export of a real run replays through detect --replay', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-replay-'));
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION) } });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ refresh_grace: 0 });
    await server.ctx.anomaly.geo.ready();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const refresh = async (sessionToken: string, ip: string): Promise<JsonResponse<GuestTokens & { error?: string }>> =>
    json(
      await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'x-forwarded-for': ip },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: sessionToken }),
      }),
    );

  async function storedAlerts(): Promise<AlertView[]> {
    const listed = await admin.call('GET', '/admin/api/alerts?limit=200');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    return listed.body['alerts'] as AlertView[];
  }

  it('should reproduce every alert the server stored, from the exported log and the same configuration', async () => {
    const started = Date.now();
    // Token reuse: the predecessor presented again from elsewhere.
    const reused = (await createGuest(server, { client_id: clientId }, from('192.0.2.10'))).body;
    await refresh(reused.session_token, '192.0.2.10');
    assert.equal((await refresh(reused.session_token, '192.0.2.99')).body.error, 'invalid_grant');
    // Impossible travel: London, then Australia seconds later.
    const traveller = (await createGuest(server, { client_id: clientId }, from('81.2.69.10'))).body;
    await refresh(traveller.session_token, '144.135.75.10');
    // A sign-up flood from one /24, until it is blocked.
    let floodRefused = false;
    for (let host = 1; host < 60 && !floodRefused; host++)
      floodRefused = (await createGuest(server, { client_id: clientId }, from(`198.18.7.${host}`))).status === 403;
    assert.ok(floodRefused, 'the flood was blocked');
    // A refresh storm, until it is throttled.
    let token = (await createGuest(server, { client_id: clientId }, from('198.18.20.5'))).body.session_token;
    let throttled = false;
    for (let i = 0; i < 30 && !throttled; i++) {
      const response = await refresh(token, '198.18.20.5');
      throttled = response.status === 429;
      if (!throttled) token = response.body.session_token;
    }
    assert.ok(throttled, 'the storm was throttled');

    // Alerts are stored just after the request that raised them.
    let alerts: AlertView[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      alerts = await storedAlerts();
      if (new Set(alerts.map((alert) => alert.detector)).size >= 4) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stored = new Set(alerts.map((alert) => keyOf(alert.detector, alert.entity)));
    for (const detector of ['token_reuse', 'impossible_travel', 'signup_flood', 'refresh_storm'])
      assert.ok(
        alerts.some((alert) => alert.detector === detector),
        `the server raised ${detector}: ${[...stored].join(', ')}`,
      );

    // The real CLI, in processes of their own, against the server's store: export, then replay.
    await server.ctx.audit.flush();
    const exported = await server.cli(['events', 'export', '--since', new Date(started - 60_000).toISOString()]);
    const lines = exported.trim().split('\n');
    assert.ok(lines.length > 20, `${lines.length} events exported`);
    assert.ok(
      lines.some((line) => line.includes('"type":"alert.raised"')),
      'the log holds the alerts too',
    );
    const replayFile = join(dir, 'run.jsonl');
    const configFile = join(dir, 'detection.json');
    writeFileSync(replayFile, exported);
    writeFileSync(configFile, JSON.stringify(DETECTION));
    const findings = (await server.cli(['detect', '--replay', replayFile, '--config', configFile]))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AlertView);
    const replayed = new Set(findings.map((finding) => keyOf(finding.detector, finding.entity)));
    assert.deepEqual([...replayed].sort(), [...stored].sort());
  });
});
