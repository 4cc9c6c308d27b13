import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { loadConfig } from '../src/app/config.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { newGuest, telemetryClient } from './helpers/telemetry.js';

/** GUESTPASS_JSON_MAX_DEPTH for this server: low, so the edges are cheap to build. */
const MAX_DEPTH = 12;
/** Deep enough to overflow the stack of any recursive walk (it did: 500 on every path below). */
const HOSTILE_DEPTH = 5000;

/** An object `levels` deep: {"k":{"k":…{"k":1}…}}. */
const nested = (levels: number) => `${'{"k":'.repeat(levels - 1)}{"k":1}${'}'.repeat(levels - 1)}`;
/** An array `levels` deep, [[[…]]], the cheapest nesting to send. */
const brackets = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

async function expectTooDeep(response: Response, where: string): Promise<void> {
  const { status, body } = await json(response);
  assert.equal(status, 400, JSON.stringify(body));
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body['error'], 'invalid_request');
  assert.equal(
    body['error_description'],
    `The JSON in the ${where} nests objects and arrays more than ${MAX_DEPTH} levels deep, the most this server accepts; flatten it.`,
  );
}

it('should default GUESTPASS_JSON_MAX_DEPTH to 32', () => {
  assert.equal(loadConfig({ env: {} }).config.jsonMaxDepth, 32);
});

describeEachDatabase('hardening: deeply nested JSON is a 400 naming the limit, not a 500', (database) => {
  let server: TestServer;
  let clientId: string;
  let guest: Awaited<ReturnType<typeof newGuest>>;
  let adminToken: string;

  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_JSON_MAX_DEPTH: String(MAX_DEPTH) } });
    const admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
    guest = await newGuest(server, clientId);
    adminToken = await admin.adminToken();
  });
  after(() => server.stop());

  const post = (path: string, body: string | URLSearchParams, headers: Record<string, string>) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { origin: ORIGIN, ...headers }, body });
  const patch = (path: string, body: string, token: string, type = 'application/merge-patch+json') =>
    fetch(`${server.url}${path}`, { method: 'PATCH', headers: { origin: ORIGIN, authorization: `Bearer ${token}`, 'content-type': type }, body });
  const eventWith = (props: string) => `{"id":"${randomUUID()}","name":"page.view","ts":${Date.now()},"props":${props}}`;

  it('should refuse deep metadata in POST /anonymous/token, as JSON and as a form field', async () => {
    await expectTooDeep(
      await post('/anonymous/token', `{"client_id":"${clientId}","metadata":${nested(HOSTILE_DEPTH)}}`, { 'content-type': 'application/json' }),
      'request body',
    );
    await expectTooDeep(await post('/anonymous/token', new URLSearchParams({ client_id: clientId, metadata: nested(HOSTILE_DEPTH) }), {}), 'metadata field');
  });

  it('should refuse deep merge patches to /anonymous/session/metadata and /accounts/me/metadata', async () => {
    await expectTooDeep(await patch('/anonymous/session/metadata', nested(HOSTILE_DEPTH), guest.sessionToken), 'request body');
    await expectTooDeep(await patch('/anonymous/session/metadata', `{"k":${brackets(HOSTILE_DEPTH)}}`, guest.sessionToken, 'application/json'), 'request body');
    await expectTooDeep(await patch('/accounts/me/metadata', nested(HOSTILE_DEPTH), guest.token), 'request body');
  });

  it('should refuse deep event props in POST /v1/events, as JSON and in the beacon form', async () => {
    const events = `[${eventWith(nested(HOSTILE_DEPTH))}]`;
    await expectTooDeep(
      await post('/v1/events', `{"events":${events}}`, { authorization: `Bearer ${guest.token}`, 'content-type': 'application/json' }),
      'request body',
    );
    await expectTooDeep(await post('/v1/events', new URLSearchParams({ access_token: guest.token, events }), {}), 'events field');
  });

  it('should refuse a deep body on the admin API', async () => {
    const body = `{"name":"deep","type":"public","allowed_origins":["${ORIGIN}"],"guest":{"metadata_schema":${nested(HOSTILE_DEPTH)}}}`;
    await expectTooDeep(await post('/admin/api/clients', body, { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }), 'request body');
  });

  it('should accept JSON exactly at the limit and refuse one level more', async () => {
    // The body object is the first level, so metadata may nest MAX_DEPTH - 1 levels.
    const atLimit = await post('/anonymous/token', `{"client_id":"${clientId}","metadata":${nested(MAX_DEPTH - 1)}}`, { 'content-type': 'application/json' });
    assert.equal(atLimit.status, 200, await atLimit.clone().text());
    await expectTooDeep(
      await post('/anonymous/token', `{"client_id":"${clientId}","metadata":${nested(MAX_DEPTH)}}`, { 'content-type': 'application/json' }),
      'request body',
    );

    const formAtLimit = await post('/anonymous/token', new URLSearchParams({ client_id: clientId, metadata: nested(MAX_DEPTH) }), {});
    assert.equal(formAtLimit.status, 200, await formAtLimit.clone().text());

    const patched = await patch('/anonymous/session/metadata', nested(MAX_DEPTH), guest.sessionToken);
    assert.equal(patched.status, 200, await patched.clone().text());
    const { body } = await json(await fetch(`${server.url}/anonymous/session`, { headers: { origin: ORIGIN, authorization: `Bearer ${guest.sessionToken}` } }));
    assert.deepEqual(body['metadata'], JSON.parse(nested(MAX_DEPTH)));
  });

  it('should not count brackets inside strings as nesting', async () => {
    // An escaped quote does not end the string: the brackets after it are text too.
    const { status, body } = await createGuest(server, { client_id: clientId, metadata: { note: `${'{'.repeat(100)}\\"${'['.repeat(100)}` } });
    assert.equal(status, 200, JSON.stringify(body));
  });
});
