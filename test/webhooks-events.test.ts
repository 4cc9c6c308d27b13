import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { OUTBOUND_EVENT_TYPES } from '../src/events/outbox.js';
import { postJson, register, registeredAccount, storedGuest, uniqueEmail } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';
import { type ReceivedWebhook, WebhookReceiver } from './helpers/webhook-receiver.js';

const DAY = 86_400_000;
const PASSWORD = 'correct horse battery staple';

/** Every outbound event type, caused by the real flow over HTTP, reaches a receiver signed and verifiable. */
describeEachDatabase('webhooks: every outbound event from its real flow', (database) => {
  let server: TestServer;
  let smtp: SmtpCapture;
  let admin: GuestAdmin;
  let clientId: string;
  let secret: string;
  let skew = 0;
  const receiver = new WebhookReceiver();

  before(async () => {
    await receiver.start();
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database,
      now: () => Date.now() + skew,
      env: {
        GUESTPASS_SMTP_URL: smtp.url,
        GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000',
        GUESTPASS_CULL_INTERVAL: '0',
        GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
        GUESTPASS_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      },
    });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
    const endpoint = await admin.call('POST', '/admin/api/webhooks', { url: receiver.url, description: 'every event' });
    assert.equal(endpoint.status, 201);
    secret = endpoint.body['secret'] as string;
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
    await receiver.stop();
  });

  /** Waits for a delivery of `type` matching `match`, verifies it with the standardwebhooks package, and returns its data. */
  async function delivered(type: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<ReceivedWebhook> {
    const find = (received: readonly ReceivedWebhook[]) => received.find((r) => r.payload.type === type && match(r.payload.data));
    await receiver.waitFor((received) => find(received) !== undefined);
    const delivery = find(receiver.received)!;
    if (skew === 0) WebhookReceiver.verify(secret, delivery);
    else {
      // The server's clock runs ahead here, and the package refuses a timestamp from its future: the signature alone.
      const expected = new Webhook(secret).sign(delivery.id, new Date(Number(delivery.timestamp) * 1000), delivery.body);
      assert.ok(delivery.signature.split(' ').includes(expected));
    }
    assert.equal(delivery.payload.timestamp, new Date(delivery.payload.data['time'] as number).toISOString());
    return delivery;
  }

  it('should deliver user.converted when a guest registers', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    await register(server, smtp, { clientId, email: uniqueEmail('promoted'), password: PASSWORD, sessionToken: guest.session_token });
    const { payload } = await delivered('user.converted', (data) => data['subject'] === guest.user_id);
    assert.deepEqual([payload.data['client_id'], payload.data['method']], [clientId, 'email']);
  });

  it('should deliver the guest’s session.revoked, then user.merged, when a guest logs into an account', async () => {
    const target = await registeredAccount(server, smtp, clientId, 'merged-into', PASSWORD);
    const guest = await storedGuest(server, clientId);
    const login = await postJson(server, '/accounts/login', {
      client_id: clientId,
      email: target.email,
      password: PASSWORD,
      session_token: guest.sessionToken,
    });
    assert.equal(login.status, 200);
    const merged = await delivered('user.merged', (data) => data['guest_id'] === guest.userId);
    assert.deepEqual([merged.payload.data['account_id'], merged.payload.data['method']], [target.id, 'login']);
    const revoked = await delivered('session.revoked', (data) => data['session_id'] === guest.sessionId);
    assert.equal(revoked.payload.data['reason'], 'merged');
    assert.ok(receiver.received.indexOf(revoked) < receiver.received.indexOf(merged), 'the revocation is heard before the merge');
  });

  it('should deliver session.revoked on logout', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const logout = await fetch(`${server.url}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${guest.access_token}` } });
    assert.equal(logout.status, 204);
    const { payload } = await delivered('session.revoked', (data) => data['session_id'] === guest.session_id);
    assert.deepEqual([payload.data['reason'], payload.data['subject']], ['logout', guest.user_id]);
  });

  it('should deliver user.deleted when a person is erased', async () => {
    const person = await registeredAccount(server, smtp, clientId, 'erased', PASSWORD);
    assert.equal((await admin.call('DELETE', `/admin/api/users/${person.id}`)).status, 200);
    const { body } = await delivered('user.deleted', (data) => data['subject'] === person.id);
    assert.ok(!body.includes(person.email) && !body.includes('@'), 'no e-mail address leaves the building');
  });

  it('should deliver client.secret_rotated', async () => {
    const client = await admin.confidentialClient();
    assert.equal((await admin.call('POST', `/admin/api/clients/${client.id}/rotate-secret`, { overlap_seconds: 60 })).status, 200);
    const { payload, body } = await delivered('client.secret_rotated', (data) => data['client_id'] === client.id);
    assert.equal(typeof payload.data['old_secret_expires_at'], 'number');
    assert.ok(!body.includes(client.secret));
  });

  it('should deliver alert.raised when a detector raises an alert', async () => {
    const strictClientId = await admin.publicClient({ refresh_grace: 0 });
    const guest = (await createGuest(server, { client_id: strictClientId })).body;
    assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).status, 200);
    assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).body.error, 'invalid_grant');
    const { payload } = await delivered('alert.raised', (data) => data['detector'] === 'token_reuse' && data['entity_id'] === guest.session_id);
    assert.deepEqual([payload.data['entity_kind'], payload.data['action']], ['session', 'revoke']);
  });

  // Last: it moves the server's clock two days on.
  it('should deliver user.culled for a cull batch, and so every outbound type', async () => {
    const cullClient = await admin.publicClient({ session_ttl: 86400 });
    for (let i = 0; i < 2; i += 1) await createGuest(server, { client_id: cullClient, metadata: { n: i } });
    skew = 2 * DAY;
    const culled = await new GuestAdmin(server).call('POST', '/admin/api/guests/cull', {});
    assert.equal(culled.status, 200);
    const { payload } = await delivered('user.culled', (data) => (data['by_client'] as Record<string, number>)[cullClient] === 2);
    assert.equal(typeof payload.data['users'], 'number');

    assert.deepEqual(new Set(receiver.received.map((received) => received.payload.type)), new Set(OUTBOUND_EVENT_TYPES));
    const ids = receiver.received.map((received) => received.id);
    assert.equal(new Set(ids).size, ids.length, 'each event delivered once');
    for (const received of receiver.received) assert.ok(!('network' in received.payload.data), 'no network data in a webhook');
  });
});
