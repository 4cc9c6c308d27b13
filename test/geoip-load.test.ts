import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type DatabaseKind, describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { event, newGuest, sendEvents, telemetryClient } from './helpers/telemetry.js';

/** DB-IP places this address in London (GB); the test server believes one X-Forwarded-For hop. */
const LONDON = '81.2.69.160';

/** Sends one event from LONDON as a new guest and returns the country stored with it. */
async function storedCountry(server: TestServer, admin: GuestAdmin, clientId: string): Promise<unknown> {
  const guest = await newGuest(server, clientId);
  const { status } = await sendEvents(server, guest.token, [event({ name: 'geo.load' })], { 'x-forwarded-for': LONDON });
  assert.equal(status, 202);
  const stored = await admin.call('GET', `/admin/api/users/${guest.userId}/events`);
  const [row] = stored.body['events'] as Record<string, unknown>[];
  return row!['country'];
}

/** A server with GUESTPASS_GEOIP_LOAD=`mode` and a telemetry client, started before the suite's cases, stopped after. */
function serverWithGeoLoad(database: DatabaseKind, mode: 'first-use' | 'off') {
  const started = {} as { server: TestServer; admin: GuestAdmin; clientId: string };
  before(async () => {
    started.server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_GEOIP_LOAD: mode } });
    started.admin = new GuestAdmin(started.server);
    started.clientId = await telemetryClient(started.admin);
  });
  after(() => started.server.stop());
  return started;
}

describeEachDatabase('GUESTPASS_GEOIP_LOAD=first-use', (database) => {
  const started = serverWithGeoLoad(database, 'first-use');

  it('should not open the geolocation files until a lookup needs them, then answer from them', async () => {
    const { server, admin, clientId } = started;
    const geo = server.ctx.anomaly.geo;
    // Started and a client made: no request from a network has needed a location yet.
    assert.equal(geo.opening, false);
    assert.equal(geo.loaded, false);
    // Telemetry waits for the files its first country needs; detection's first lookup answers unknown.
    assert.equal(await storedCountry(server, admin, clientId), 'GB');
    assert.equal(geo.opening, true);
    assert.equal(geo.loaded, true);
    assert.equal(geo.resolve(LONDON)?.country, 'GB');
  });
});

describeEachDatabase('GUESTPASS_GEOIP_LOAD=off', (database) => {
  const started = serverWithGeoLoad(database, 'off');

  it('should treat every location and telemetry country as unknown', async () => {
    const { server, admin, clientId } = started;
    const geo = server.ctx.anomaly.geo;
    await geo.ready();
    assert.equal(geo.resolve(LONDON), undefined);
    assert.equal(await storedCountry(server, admin, clientId), null, 'stored without a country');
    // A guest from that network is still served: an unknown location is no evidence against it.
    const guest = await fetch(`${server.url}/anonymous/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': LONDON },
      body: JSON.stringify({ client_id: clientId }),
    });
    assert.equal(guest.status, 200);
  });
});
