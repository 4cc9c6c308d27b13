import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { createGuest, GuestAdmin, json, type GuestTokens } from '../../test/helpers/guests.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { applyMergePatch } from './metadata.js';

describe('applyMergePatch (RFC 7396)', () => {
  it('should follow the RFC 7396 appendix A examples', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } }), { a: { b: 'd' } });
    assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });
});

describeEachDatabase('guest metadata: GET /anonymous/session and PATCH /anonymous/session/metadata', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  let guest: GuestTokens;
  before(async () => {
    server = await startTestServer({ database });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient({ metadata_max_bytes: 300 });
    guest = (await createGuest(server, { client_id: clientId })).body;
  });
  after(() => server.stop());

  const read = async (token: string) => json(await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `Bearer ${token}` } }));
  const patch = async (token: string, body: unknown, headers: Record<string, string> = {}) =>
    json(
      await fetch(`${server.url}/anonymous/session/metadata`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json', ...headers },
        body: JSON.stringify(body),
      }),
    );

  it('should return the session with an ETag, through the access token or the session token', async () => {
    const viaAccess = await read(guest.access_token);
    assert.equal(viaAccess.status, 200);
    assert.deepEqual(Object.keys(viaAccess.body).sort(), [
      'created_at',
      'expires_at',
      'is_anonymous',
      'metadata',
      'scope',
      'session_id',
      'sessions',
      'user_id',
    ]);
    assert.equal(viaAccess.body['user_id'], guest.user_id);
    assert.deepEqual(viaAccess.body['metadata'], {});
    assert.equal(viaAccess.headers.get('etag'), '"0"');
    const viaSession = await read(guest.session_token);
    assert.deepEqual(viaSession.body, viaAccess.body);
  });

  it('should apply merge patches, persist them and move the ETag', async () => {
    const first = await patch(guest.access_token, { cart: [{ sku: 'tea', qty: 1 }], preferences: { currency: 'EUR', theme: 'dark' } }, { 'if-match': '"0"' });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('etag'), '"1"');
    const second = await patch(guest.session_token, { preferences: { theme: null } }, { 'if-match': '"1"' });
    assert.deepEqual(second.body['metadata'], { cart: [{ sku: 'tea', qty: 1 }], preferences: { currency: 'EUR' } });
    assert.deepEqual((await read(guest.access_token)).body['metadata'], second.body['metadata']);

    const plainJson = await fetch(`${server.url}/anonymous/session/metadata`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${guest.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ consents: { analytics: true } }),
    });
    assert.equal(plainJson.status, 200);
  });

  it('should answer a stale If-Match with 412 and keep the data', async () => {
    const current = await read(guest.access_token);
    const stale = await patch(guest.access_token, { cart: [] }, { 'if-match': '"0"' });
    assert.equal(stale.status, 412);
    assert.equal(stale.body['error'], 'precondition_failed');
    assert.deepEqual((await read(guest.access_token)).body['metadata'], current.body['metadata']);
  });

  it('should refuse metadata over the limit with a description that names it', async () => {
    const tooBig = await patch(guest.access_token, { note: 'x'.repeat(400) });
    assert.equal(tooBig.status, 400);
    assert.match(String(tooBig.body['error_description']), /at most 300 bytes/);
  });

  it('should require If-Match (428) when the client asks for it', async () => {
    const strict = await admin.publicClient({ require_if_match: true });
    const strictGuest = (await createGuest(server, { client_id: strict })).body;
    assert.equal((await patch(strictGuest.access_token, { a: 1 })).status, 428);
    assert.equal((await patch(strictGuest.access_token, { a: 1 }, { 'if-match': '"0"' })).status, 200);
  });

  it('should lose no update under concurrent writes without If-Match', async () => {
    const fresh = (await createGuest(server, { client_id: clientId })).body;
    await Promise.all(Array.from({ length: 10 }, (_, i) => patch(fresh.access_token, { [`k${i}`]: i })));
    const metadata = (await read(fresh.access_token)).body['metadata'] as Record<string, number>;
    assert.equal(Object.keys(metadata).length, 10);
  });

  it('should emit session.metadata_updated without the metadata itself', async () => {
    const events: object[] = [];
    const off = server.ctx.events.on('session.metadata_updated', (event) => events.push(event));
    await patch(guest.access_token, { seen: true });
    off();
    assert.equal(events.length, 1);
    assert.equal((events[0] as Record<string, unknown>)['session_id'], guest.session_id);
    assert.equal(typeof (events[0] as Record<string, unknown>)['metadata_bytes'], 'number');
    assert.equal('metadata' in events[0]!, false);
  });

  it('should refuse a client_credentials token and a missing credential', async () => {
    const token = await admin.adminToken();
    assert.equal((await read(token)).status, 401);
    const none = await json(await fetch(`${server.url}/anonymous/session`));
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('www-authenticate'));
  });
});
