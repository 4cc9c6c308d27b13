import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, json, ORIGIN, refreshGuest, type JsonResponse } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Guest transfer codes: the guest on one device makes a code; another device presents it and
 * continues as the same guest, in a session of its own that the first device sees and can end.
 */
describeEachDatabase('guest transfer codes', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  let clockOffset = 0;
  /** Each case speaks from its own address, so the per-address limit of one does not reach another. */
  let nextAddress = 1;
  const fromAddress = () => ({ 'x-forwarded-for': `198.51.100.${nextAddress++}` });

  before(async () => {
    server = await startTestServer({
      database,
      env: { GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_GEOIP_DATABASE: 'none', GUESTPASS_GEOIP_ASN_DATABASE: 'none' },
      now: () => Date.now() + clockOffset,
    });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ transfer_codes: true });
  });
  after(() => server.stop());

  const call = async (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> =>
    json(
      await fetch(`${server.url}${path}`, {
        method,
        headers: {
          origin: ORIGIN,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  const makeCode = (accessToken: string, body: unknown = {}) => call('POST', '/anonymous/transfer', accessToken, body);
  const redeem = (code: string, headers: Record<string, string> = fromAddress(), client = clientId) =>
    call('POST', '/anonymous/token', undefined, { client_id: client, transfer_code: code }, headers);

  async function guest(metadata?: Record<string, unknown>) {
    const created = await createGuest(server, { client_id: clientId, ...(metadata ? { metadata } : {}) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body;
  }

  it('starts a session of the same guest, with its metadata, on the other device', async () => {
    const first = await guest({ cart: ['sku-1'] });
    const events: string[] = [];
    const stops = (['session.transferred', 'session.created'] as const).map((type) =>
      server.ctx.events.on(type, (event) => {
        if (event.subject === first.user_id) events.push(type);
      }),
    );
    const code = await makeCode(first.access_token, { url: `${ORIGIN}/resume` });
    assert.equal(code.status, 201, JSON.stringify(code.body));
    const transferCode = code.body['transfer_code'] as string;
    assert.match(transferCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(code.body['expires_in'], 300);
    assert.equal(code.body['transfer_url'], `${ORIGIN}/resume#transfer_code=${transferCode}`);
    assert.equal(code.body['qr_payload'], code.body['transfer_url']);

    const second = await redeem(transferCode.toLowerCase().replace('-', ' '));
    for (const stop of stops) stop();
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body['user_id'], first.user_id, 'the same guest');
    assert.notEqual(second.body['session_id'], first.session_id, 'a session of its own');
    assert.equal(claimsOf(second.body['access_token'] as string)['is_anonymous'], true);
    assert.deepEqual(events, ['session.transferred', 'session.created'], 'the transfer is announced before the session');

    const seen = await call('GET', '/anonymous/session', second.body['access_token'] as string);
    assert.deepEqual(seen.body['metadata'], { cart: ['sku-1'] });
    const listed = await call('GET', '/anonymous/session', first.access_token);
    const sessions = listed.body['sessions'] as { session_id: string; current: boolean; transferred_from: string | null }[];
    assert.deepEqual(
      sessions
        .map(({ session_id, current, transferred_from }) => ({ session_id, current, transferred_from }))
        .sort((a, b) => Number(b.current) - Number(a.current)),
      [
        { session_id: first.session_id, current: true, transferred_from: null },
        { session_id: second.body['session_id'], current: false, transferred_from: first.session_id },
      ],
    );
  });

  it('uses a code once', async () => {
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    const [a, b] = await Promise.all([redeem(code), redeem(code)]);
    assert.deepEqual([a.status, b.status].sort(), [200, 400], 'of two devices racing, one wins');
    const again = await redeem(code);
    assert.deepEqual([again.status, again.body['error']], [400, 'invalid_grant']);
  });

  it('refuses a code after five minutes', async () => {
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    clockOffset = 301_000;
    try {
      const late = await redeem(code);
      assert.deepEqual([late.status, late.body['error']], [400, 'invalid_grant']);
      assert.match(late.body['error_description'] as string, /expired/);
    } finally {
      clockOffset = 0;
    }
  });

  it('limits attempts per address, right or wrong', async () => {
    const address = fromAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await redeem(`BCDF-GHJ${'KLMNPQRSTV'[i % 10]}`, address)).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(400));
    assert.equal(statuses[10], 429);
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    const limited = await redeem(code, address);
    assert.equal(limited.status, 429, 'even a right code, from that address');
    assert.ok(limited.headers.get('retry-after'));
  });

  it('lets the first device end the session the code started, and only its own user’s', async () => {
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    const second = (await redeem(code)).body;
    const stranger = await guest();
    const notYours = await call('POST', '/anonymous/session/revoke', stranger.access_token, { session_id: second['session_id'] });
    assert.equal(notYours.status, 404);

    const revoked = await call('POST', '/anonymous/session/revoke', first.access_token, { session_id: second['session_id'] });
    assert.equal(revoked.status, 204);
    const refreshed = await refreshGuest(server, clientId, second['session_token'] as string);
    assert.deepEqual([refreshed.status, refreshed.body.error], [400, 'invalid_grant']);
    const stillHere = await refreshGuest(server, clientId, first.session_token);
    assert.equal(stillHere.status, 200, 'the first device keeps its session');
    const listed = await call('GET', '/anonymous/session', stillHere.body.access_token);
    assert.deepEqual(
      (listed.body['sessions'] as { session_id: string }[]).map((s) => s.session_id),
      [first.session_id],
    );
  });

  it('starts nothing once the session that made the code has ended', async () => {
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    assert.equal((await call('POST', '/anonymous/logout', first.access_token)).status, 204);
    const refused = await redeem(code);
    assert.deepEqual([refused.status, refused.body['error']], [400, 'invalid_grant']);
  });

  it('is opt-in per client, and the code works only for the client that made it', async () => {
    const other = await admin.publicClient({});
    const guestOfOther = await createGuest(server, { client_id: other });
    const off = await makeCode(guestOfOther.body.access_token);
    assert.deepEqual([off.status, off.body['error']], [400, 'unauthorized_client']);
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    const elsewhere = await redeem(code, fromAddress(), other);
    assert.deepEqual([elsewhere.status, elsewhere.body['error']], [400, 'unauthorized_client']);
    const thirdClient = await admin.publicClient({ transfer_codes: true });
    const wrongClient = await redeem(code, fromAddress(), thirdClient);
    assert.deepEqual([wrongClient.status, wrongClient.body['error']], [400, 'invalid_grant']);
    assert.equal((await redeem(code)).status, 200, 'still good for its own client');
  });

  it('stores codes only as hashes, refuses a URL off the client’s origins and unknown fields', async () => {
    const first = await guest();
    const code = (await makeCode(first.access_token)).body['transfer_code'] as string;
    const dump = JSON.stringify(await server.ctx.store.db.selectFrom('transfer_codes').selectAll().execute());
    assert.ok(!dump.includes(code) && !dump.includes(code.replace('-', '')));
    const offsite = await makeCode(first.access_token, { url: 'https://evil.example/steal' });
    assert.deepEqual([offsite.status, offsite.body['error']], [400, 'invalid_request']);
    const unknown = await makeCode(first.access_token, { ttl: 3600 });
    assert.equal(unknown.status, 400);
    const mixed = await call('POST', '/anonymous/token', undefined, { client_id: clientId, transfer_code: code, user_id: 'someone' }, fromAddress());
    assert.equal(mixed.status, 400);
  });
});
