import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { ORIGIN } from './helpers/guests.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * kill -9 between the commit of a change and the end of its delivery: the outbox row and the
 * claimed message survive in the database, and the restarted server sends it once the dead
 * process's claim lapses (GUESTPASS_WEBHOOK_TIMEOUT plus GUESTPASS_WEBHOOK_CLAIM_MARGIN).
 * Both are short here, and retries come at doubling delays from a quarter second: with
 * production's 10 s margin and 5 s first retry the file waited about 30 s. The margin stays
 * long enough that a live process, however loaded, records its delivery before its claim
 * lapses (else it would send the message twice), and the retries span two minutes, so a
 * restart slowed by a loaded machine cannot spend the schedule.
 */
const QUICK = {
  GUESTPASS_WEBHOOK_TIMEOUT: '1s',
  GUESTPASS_WEBHOOK_CLAIM_MARGIN: '3s',
  GUESTPASS_WEBHOOK_RETRY_SCHEDULE: '0,250ms,500ms,1s,2s,4s,8s,16s,32s,64s',
};
describeEachDatabase('webhooks across a crash', (database) => {
  let server: ServerProcess;
  const receiver = new WebhookReceiver();
  let adminToken: string;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const token = async (clientId: string, clientSecret: string) => {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  /** A guest that logs out: one session.revoked, committed by the request. */
  const logoutOfNewGuest = async (clientId: string) => {
    const guest = await post('/anonymous/token', { client_id: clientId }, { origin: ORIGIN });
    const logout = await fetch(`${server.url}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${guest.body['access_token']}` } });
    assert.equal(logout.status, 204);
    return guest.body['session_id'] as string;
  };

  before(async () => {
    await receiver.start();
    server = await startServerProcess({
      database,
      env: {
        GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
        GUESTPASS_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
        ...QUICK,
        GUESTPASS_WEBHOOK_POLL_INTERVAL: '100ms',
        GUESTPASS_ANOMALY_DETECTION: 'false',
      },
    });
    const admin = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    adminToken = await token(admin.client_id, admin.client_secret!);
  });
  after(async () => {
    await server.stop();
    await receiver.stop();
  });

  it('should deliver after a restart what was committed before a kill -9, once to a receiver that answers', async () => {
    const client = await post('/admin/api/clients', { name: 'web', type: 'public', allowed_origins: [ORIGIN] }, { authorization: `Bearer ${adminToken}` });
    const clientId = client.body['client_id'] as string;
    const endpoint = await post('/admin/api/webhooks', { url: receiver.url }, { authorization: `Bearer ${adminToken}` });
    assert.equal(endpoint.status, 201);

    // The receiver takes the first delivery and never answers: the server is mid-delivery when it dies.
    receiver.answer = () => 'hang';
    const sessionId = await logoutOfNewGuest(clientId);
    await receiver.waitFor((received) => received.length === 1);
    await server.crashAndRestart();

    receiver.answer = () => 204;
    await receiver.waitFor((received) => received.filter((r) => r.payload.data['session_id'] === sessionId).length === 2, 60_000);
    const [first, second] = receiver.received;
    assert.equal(second!.id, first!.id, 'the same webhook-id: the receiver can tell it is the same event');
    WebhookReceiver.verify(endpoint.body['secret'] as string, second!);

    // And the restarted server delivers new events as usual, each once.
    const next = await logoutOfNewGuest(clientId);
    await receiver.waitFor((received) => received.some((r) => r.payload.data['session_id'] === next));
    assert.equal(receiver.received.filter((r) => r.payload.data['session_id'] === next).length, 1);
  });

  it('should deliver after a restart an event whose server died right after the commit, receiver down meanwhile', async () => {
    const client = await post('/admin/api/clients', { name: 'web', type: 'public', allowed_origins: [ORIGIN] }, { authorization: `Bearer ${adminToken}` });
    await receiver.stop();
    const sessionId = await logoutOfNewGuest(client.body['client_id'] as string);
    await server.crashAndRestart();
    await receiver.start();
    await receiver.waitFor((received) => received.some((r) => r.payload.data['session_id'] === sessionId), 60_000);
    assert.equal(receiver.received.filter((r) => r.payload.data['session_id'] === sessionId).length, 1);
  });
});
