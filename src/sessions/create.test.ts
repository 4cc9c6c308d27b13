import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, ORIGIN } from '../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describeEachDatabase('POST /anonymous/token: creating guest sessions', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '100000', GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: '100000' } });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ scopes: ['cart:write', 'telemetry:write'] }, { audiences: ['https://api.shop.example'] });
  });
  after(() => server.stop());

  it('should give a visitor an RFC 9068 guest token and a session token in one call', async () => {
    const { status, body, headers } = await createGuest(server, { client_id: clientId });
    assert.equal(status, 200);
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'cart:write telemetry:write');
    assert.equal(body.session_token, body.refresh_token);
    assert.ok(body.session_expires_in > 30 * 86400 - 5 && body.session_expires_in <= 30 * 86400);
    assert.match(body.user_id, UUID_V7);
    assert.match(body.session_id, UUID_V7);
    const claims = claimsOf(body.access_token);
    assert.equal(claims['sub'], body.user_id);
    assert.equal(claims['sid'], body.session_id);
    assert.equal(claims['is_anonymous'], true);
    assert.equal(claims['aud'], 'https://api.shop.example');
    assert.equal(claims['client_id'], clientId);
    assert.equal(body.session_token.split('.').length, 5, 'the session token is an opaque JWE');
  });

  it('should write no row for 1,000 new sessions (a visitor costs a signature, not a row)', async () => {
    const before = { users: await server.ctx.userStore.count(), sessions: await countSessions(server) };
    for (let batch = 0; batch < 20; batch++) {
      const responses = await Promise.all(Array.from({ length: 50 }, () => createGuest(server, { client_id: clientId })));
      assert.ok(responses.every((response) => response.status === 200));
    }
    assert.deepEqual({ users: await server.ctx.userStore.count(), sessions: await countSessions(server) }, before);
  });

  it('should refuse an Origin the client does not allow, and answer CORS only for allowed ones', async () => {
    const refused = await createGuest(server, { client_id: clientId }, { origin: 'https://evil.example' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body['error' as never], 'access_denied');

    const preflight = await fetch(`${server.url}/anonymous/token`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, dpop' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    const foreign = await fetch(`${server.url}/anonymous/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  it('should grant a requested subset of the guest scopes and refuse others', async () => {
    const subset = await createGuest(server, { client_id: clientId, scope: 'telemetry:write' });
    assert.equal(subset.body.scope, 'telemetry:write');
    const refused = await createGuest(server, { client_id: clientId, scope: 'admin:read' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body['error' as never], 'invalid_scope');
  });

  it('should emit scope.refused once per refused request, with the refused names and never the address', async () => {
    const heard: unknown[] = [];
    const off = server.ctx.events.on('scope.refused', (event) => heard.push(event));
    try {
      const refused = await createGuest(server, { client_id: clientId, scope: 'telemetry:write admin:read admin:write' });
      assert.equal(refused.status, 400);
      assert.equal((await createGuest(server, { client_id: clientId, scope: 'telemetry:write' })).status, 200);
    } finally {
      off();
    }
    assert.equal(heard.length, 1);
    const event = heard[0] as Record<string, unknown>;
    assert.equal(event['client_id'], clientId);
    assert.equal(event['grant'], 'guest_session');
    assert.deepEqual(event['refused'], ['admin:read', 'admin:write']);
    assert.equal(event['refused_count'], 2);
    assert.equal(event['requested_count'], 3);
    assert.match((event['network'] as { ip_prefix: string }).ip_prefix, /\/24$|\/48$/);
  });

  it('should keep initial metadata server-side, within the size limit and schema', async () => {
    const schemaClient = await admin.publicClient({
      metadata_max_bytes: 200,
      metadata_schema: { type: 'object', properties: { cart: { type: 'array', maxItems: 3 } } },
    });
    const created = await createGuest(server, { client_id: schemaClient, metadata: { cart: [{ sku: 'tea' }] } });
    assert.equal(created.status, 200);
    // Not carried in the (sealed) session token: it is no longer than one minted without metadata.
    // (Searching it for 'tea' failed once on CI: ~300 characters of ciphertext spell a given
    // three-letter string about once in a thousand tokens.)
    const without = await createGuest(server, { client_id: schemaClient });
    assert.equal(created.body.session_token.length, without.body.session_token.length);
    const session = await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `Bearer ${created.body.access_token}` } });
    assert.deepEqual(((await session.json()) as { metadata: unknown }).metadata, { cart: [{ sku: 'tea' }] });

    const tooLarge = await createGuest(server, { client_id: schemaClient, metadata: { note: 'x'.repeat(300) } });
    assert.equal(tooLarge.status, 400);
    assert.match(String(tooLarge.body['error_description' as never]), /at most 200 bytes/);
    const invalid = await createGuest(server, { client_id: schemaClient, metadata: { cart: [1, 2, 3, 4] } });
    assert.equal(invalid.status, 400);
    assert.match(String(invalid.body['error_description' as never]), /schema at \/cart/);
  });

  it('should let only confidential clients bring their own user_id', async () => {
    assert.equal((await createGuest(server, { client_id: clientId, user_id: 'shopper-1' })).status, 400);
    const backend = await admin.confidentialClient({ scopes: ['cart:write'] });
    const ownId = await createGuest(server, { client_id: backend.id, client_secret: backend.secret, user_id: 'shopper-1' }, {});
    assert.equal(ownId.status, 200);
    assert.equal(ownId.body.user_id, 'shopper-1');
    const badId = await createGuest(server, { client_id: backend.id, client_secret: backend.secret, user_id: 'has spaces' }, {});
    assert.equal(badId.status, 400);
  });

  it('should copy mapped metadata values into the access token and refuse reserved claim names', async () => {
    const mapped = await admin.publicClient({
      claims_mapping: [
        { claim: 'currency', path: 'preferences.currency' },
        { claim: 'tier', path: 'missing.value' },
      ],
    });
    const { body } = await createGuest(server, { client_id: mapped, metadata: { preferences: { currency: 'EUR' } } });
    const claims = claimsOf(body.access_token);
    assert.equal(claims['currency'], 'EUR');
    assert.equal('tier' in claims, false, 'missing values are omitted');
    const reserved = await admin.call('POST', '/admin/api/clients', { name: 'bad', type: 'public', guest: { claims_mapping: [{ claim: 'sub', path: 'x' }] } });
    assert.equal(reserved.status, 400);
    assert.match(String(reserved.body['error_description']), /reserved/);
  });

  it('should refuse guest sessions for a client that disabled them, and unknown fields', async () => {
    const disabled = await admin.publicClient({ enabled: false });
    assert.equal((await createGuest(server, { client_id: disabled })).body['error' as never], 'unauthorized_client');
    const unknown = await createGuest(server, { client_id: clientId, colour: 'blue' });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body['error_description' as never]), /"colour"/);
  });

  it('should emit session.created with the network prefix only', async () => {
    const events: object[] = [];
    const off = server.ctx.events.on('session.created', (event) => events.push(event));
    const { body } = await createGuest(server, { client_id: clientId });
    off();
    assert.equal(events.length, 1);
    assert.equal((events[0] as Record<string, unknown>)['session_id'], body.session_id);
    assert.deepEqual((events[0] as Record<string, unknown>)['network'], { ip_prefix: '127.0.0.0/24', ip_version: 4 });
  });
});

describeEachDatabase('guest creation rate limits', (database) => {
  let server: TestServer;
  after(() => server.stop());

  it('should answer 429 with Retry-After once an IP exceeds its creation limit', async () => {
    server = await startTestServer({ database, env: { GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '3' } });
    const clientId = await new GuestAdmin(server).publicClient();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await createGuest(server, { client_id: clientId }));
    assert.deepEqual(
      statuses.map((response) => response.status),
      [200, 200, 200, 429],
    );
    assert.ok(Number(statuses[3]!.headers.get('retry-after')) >= 1);
    assert.equal(statuses[3]!.body['error' as never], 'rate_limited');
  });
});

async function countSessions(server: TestServer): Promise<number> {
  const row = await server.ctx.store.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
