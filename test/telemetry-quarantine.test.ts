import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { event, newGuest, sendEvents, telemetryClient } from './helpers/telemetry.js';

/** A refresh storm quarantines the session instead of throttling it. */
const DETECTION = { engine: { cold_floor_factor: 1 }, detectors: { refresh_storm: { floor: 4, containment: { action: 'quarantine', duration_s: 300 } } } };

describeEachDatabase('telemetry from a quarantined session', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION) } });
    admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
  });
  after(() => server.stop());

  const storedEvents = async (userId: string) =>
    (await admin.call('GET', `/admin/api/users/${userId}/events`)).body['events'] as { name: string; quarantined: boolean }[];

  it('should keep the events of a quarantined session, tagged, and leave other sessions untagged', async () => {
    const storming = await newGuest(server, clientId);
    const calm = await newGuest(server, clientId);
    let sessionToken = storming.sessionToken;
    let accessToken = storming.token;
    for (let i = 0; i < 30 && !server.ctx.anomaly.isQuarantined(storming.sessionId); i++) {
      const refreshed = await refreshGuest(server, clientId, sessionToken);
      assert.equal(refreshed.status, 200, 'quarantine neither throttles nor revokes');
      sessionToken = refreshed.body.session_token;
      accessToken = refreshed.body.access_token;
    }
    assert.ok(server.ctx.anomaly.isQuarantined(storming.sessionId), 'the refresh storm was detected');

    assert.equal((await sendEvents(server, accessToken, [event({ name: 'after.storm' })])).body.accepted, 1);
    assert.equal((await sendEvents(server, calm.token, [event({ name: 'calm.view' })])).body.accepted, 1);
    const [stored] = await storedEvents(storming.userId);
    assert.equal(stored?.name, 'after.storm');
    assert.equal(stored?.quarantined, true);
    assert.equal((await storedEvents(calm.userId))[0]?.quarantined, false);
  });
});
