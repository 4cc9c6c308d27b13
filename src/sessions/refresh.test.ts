import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, json, refreshGuest } from '../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { openSessionToken, sealSessionToken } from './session-token.js';

describeEachDatabase('session refresh and rotation', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  let graceClientId: string;
  before(async () => {
    // Rotation mechanics only: 20 refreshes of one session at once are a refresh storm to the
    // anomaly detector (test/anomaly-containment.test.ts covers that), so it is off here.
    server = await startTestServer({
      database,
      env: { GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '100000', GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '100000', GUESTPASS_ANOMALY_DETECTION: 'false' },
    });
    admin = new GuestAdmin(server);
    // Strict single use: the default refresh_grace would let the immediate predecessor through.
    clientId = await admin.publicClient({ scopes: ['cart:write'], refresh_grace: 0 });
    graceClientId = await admin.publicClient({ refresh_grace: 30 });
  });
  after(() => server.stop());

  const sessionActive = async (accessToken: string) =>
    (await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `Bearer ${accessToken}` } })).status === 200;

  it('should rotate the session token and keep the user, session and absolute expiry', async () => {
    const created = (await createGuest(server, { client_id: clientId })).body;
    const refreshed = await refreshGuest(server, clientId, created.session_token);
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.body.refresh_token, created.session_token);
    assert.equal(refreshed.body.session_token, refreshed.body.refresh_token);
    assert.equal(refreshed.body.user_id, created.user_id);
    assert.equal(refreshed.body.session_id, created.session_id);
    assert.ok(refreshed.body.session_expires_in <= created.session_expires_in, 'refresh never extends the session');
    assert.equal(claimsOf(refreshed.body.access_token)['sid'], created.session_id);
    assert.equal(openSessionToken(server.ctx.keyring, refreshed.body.session_token)?.gen, 1);

    // The Auth0-compatible path: POST /anonymous/token with the session token re-mints.
    const reminted = await createGuest(server, { client_id: clientId, session_token: refreshed.body.session_token });
    assert.equal(reminted.status, 200);
    assert.equal(reminted.body.session_id, created.session_id);
    assert.equal(openSessionToken(server.ctx.keyring, reminted.body.session_token)?.gen, 2);
  });

  it('should revoke the whole session when a rotated-away token is reused', async () => {
    const created = (await createGuest(server, { client_id: clientId })).body;
    const first = (await refreshGuest(server, clientId, created.session_token)).body;
    const reused = await refreshGuest(server, clientId, created.session_token);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    assert.match(String(reused.body['error_description' as never]), /RFC 9700/);

    assert.equal((await refreshGuest(server, clientId, first.session_token)).body.error, 'invalid_grant', 'the newest token dies too');
    assert.equal(await sessionActive(first.access_token), false, 'outstanding access tokens are refused');
    assert.equal(await sessionActive(created.access_token), false);
    const record = await server.ctx.sessionStore.get(created.session_id);
    assert.equal(record?.revokedReason, 'token_reused');
  });

  it('should rotate exactly once for 20 concurrent refreshes with the same token', async () => {
    const created = (await createGuest(server, { client_id: clientId })).body;
    const results = await Promise.all(Array.from({ length: 20 }, () => refreshGuest(server, clientId, created.session_token)));
    assert.equal(results.filter((result) => result.status === 200).length, 1);
    assert.ok(results.filter((result) => result.status !== 200).every((result) => result.body.error === 'invalid_grant'));
    assert.equal((await server.ctx.sessionStore.get(created.session_id))?.generation, 1);
  });

  it('should give the immediate predecessor the current generation within the grace window, without rotating again', async () => {
    const created = (await createGuest(server, { client_id: graceClientId })).body;
    const results = await Promise.all(Array.from({ length: 20 }, () => refreshGuest(server, graceClientId, created.session_token)));
    assert.ok(
      results.every((result) => result.status === 200),
      'two tabs refreshing at once both succeed',
    );
    assert.deepEqual(new Set(results.map((result) => openSessionToken(server.ctx.keyring, result.body.session_token)?.gen)), new Set([1]));
    assert.equal((await server.ctx.sessionStore.get(created.session_id))?.generation, 1, 'exactly one rotation');

    const second = (await refreshGuest(server, graceClientId, results[0]!.body.session_token)).body;
    assert.equal(openSessionToken(server.ctx.keyring, second.session_token)?.gen, 2);
    const olderThanPredecessor = await refreshGuest(server, graceClientId, created.session_token);
    assert.equal(olderThanPredecessor.body.error, 'invalid_grant', 'only the immediate predecessor gets grace');
  });

  // Concurrent rotations share a transaction (rotations.ts): a burst must come out as if each ran alone.
  it('should answer a burst of refreshes of many sessions, with one token sent twice, as if each ran alone', async () => {
    const guests = await Promise.all(Array.from({ length: 30 }, async () => (await createGuest(server, { client_id: clientId })).body));
    const twice = guests[0]!;
    const burst = await Promise.all([...guests, twice].map((guest) => refreshGuest(server, clientId, guest.session_token)));
    const twiceResults = [burst[0]!, burst[30]!];
    assert.deepEqual(twiceResults.map((result) => result.status).sort(), [200, 400], 'one of the two refreshes of the same token rotates');
    assert.equal(twiceResults.find((result) => result.status === 400)?.body.error, 'invalid_grant');
    assert.equal((await server.ctx.sessionStore.get(twice.session_id))?.revokedReason, 'token_reused', 'the replay is detected as reuse');
    for (const result of burst.slice(1, 30)) assert.equal(result.status, 200, JSON.stringify(result.body));
    // Every answered rotation was stored: each new token refreshes again, and each old one is reuse.
    const again = await Promise.all(burst.slice(1, 30).map((result) => refreshGuest(server, clientId, result.body.session_token)));
    for (const result of again) assert.equal(result.status, 200, JSON.stringify(result.body));
    for (const guest of guests.slice(1)) assert.equal((await server.ctx.sessionStore.get(guest.session_id))?.generation, 2);
  });

  it('should revoke a session whose token another client presents', async () => {
    const otherClient = await admin.publicClient();
    const created = (await createGuest(server, { client_id: clientId })).body;
    const stolen = await refreshGuest(server, otherClient, created.session_token);
    assert.equal(stolen.body.error, 'invalid_grant');
    assert.match(String(stolen.body['error_description' as never]), /another client/);
    assert.equal((await refreshGuest(server, clientId, created.session_token)).body.error, 'invalid_grant');
  });

  it('should refuse tampered and expired session tokens with invalid_grant', async () => {
    const created = (await createGuest(server, { client_id: clientId })).body;
    const parts = created.session_token.split('.');
    const ciphertext = Buffer.from(parts[3]!, 'base64url');
    ciphertext[0]! ^= 1;
    parts[3] = ciphertext.toString('base64url');
    assert.equal((await refreshGuest(server, clientId, parts.join('.'))).body.error, 'invalid_grant');
    assert.equal((await refreshGuest(server, clientId, 'not-a-token')).body.error, 'invalid_grant');

    const payload = openSessionToken(server.ctx.keyring, created.session_token)!;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expired = sealSessionToken(server.ctx.keyring, { ...payload, exp: nowSeconds - 1 });
    const response = await refreshGuest(server, clientId, expired);
    assert.equal(response.body.error, 'invalid_grant');
    assert.match(String(response.body['error_description' as never]), /expired/);
    const idle = sealSessionToken(server.ctx.keyring, { ...payload, iat: nowSeconds - 8 * 86400 });
    assert.match(String((await refreshGuest(server, clientId, idle)).body['error_description' as never]), /idle/);
  });

  it('should emit session.refreshed and token.reused for the detectors', async () => {
    const seen: string[] = [];
    const off = server.ctx.events.onAny((event) => seen.push(event.type));
    const created = (await createGuest(server, { client_id: clientId })).body;
    await refreshGuest(server, clientId, created.session_token);
    await refreshGuest(server, clientId, created.session_token);
    off();
    assert.deepEqual(seen, ['session.created', 'session.refreshed', 'session.revoked', 'token.reused']);
  });

  it('should count each issued token once in /metrics, by how it was issued', async () => {
    const count = async (grant: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(new RegExp(`guestpass_tokens_issued_total\\{grant_type="${grant}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const before = { anonymous: await count('anonymous'), refresh: await count('refresh_token') };
    const created = (await createGuest(server, { client_id: clientId })).body;
    await refreshGuest(server, clientId, created.session_token);
    assert.equal(await count('anonymous'), before.anonymous + 1);
    assert.equal(await count('refresh_token'), before.refresh + 1);
  });

  it('should answer refresh without a refresh_token with invalid_request', async () => {
    const response = await json(
      await fetch(`${server.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId }) }),
    );
    assert.equal(response.status, 400);
    assert.equal(response.body['error'], 'invalid_request');
  });
});
