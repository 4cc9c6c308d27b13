import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import type { OutboundEvent } from '../src/events/outbox.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

interface Endpoint {
  id: string;
  secret: string;
  enabled: boolean;
  disabled_reason: string | null;
}
interface Message {
  id: string;
  webhook_id: string;
  status: string;
  attempt_count: number;
  attempts: { outcome: string; response_status: number | null; response_body: string | null; error: string | null; latency_ms: number }[];
}

/** The worker through a real server: events staged in the outbox as a feature would, a real receiver. */
describeEachDatabase('webhook delivery', (database) => {
  let server: TestServer;
  let token: string;
  let offset = 0;
  const receiver = new WebhookReceiver();
  const call = async <T>(path: string, init: { method?: string; body?: unknown } = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, body: (response.status === 204 ? {} : await response.json()) as T };
  };
  const createEndpoint = async (body: Record<string, unknown> = {}) => {
    const created = await call<Endpoint>('/admin/api/webhooks', { method: 'POST', body: { url: receiver.url, ...body } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    secrets.push(created.body.secret);
    return created.body;
  };
  /** Writes events through a transaction as the features do, and announces them after the commit. */
  const stage = async (...events: OutboundEvent[]) => {
    const staged = await server.ctx.store.db.transaction().execute((trx) => server.ctx.outbox.stage(trx, events));
    staged.announce();
  };
  const messagesOf = async (endpointId: string, status?: string) =>
    (await call<{ messages: Message[] }>(`/admin/api/webhooks/${endpointId}/messages${status ? `?status=${status}` : ''}`)).body.messages;
  /** Polls the admin API until `check` holds (a deadline against hangs, not a pace). */
  const eventually = async <T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`still not as expected: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const merged = (user: string, n: number): OutboundEvent => ({
    type: 'user.merged',
    time: Date.now(),
    client_id: 'web',
    subject: user,
    guest_id: `guest-${n}`,
    account_id: user,
    method: 'login',
  });
  let endpoints: string[] = [];
  const secrets: string[] = [];
  /** The server's log lines (warn and above), to find the alert and to check no secret is in any. */
  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      done();
    },
  });
  /** Each test's endpoint alone: the others are deleted so they take no messages. */
  const only = async (endpoint: Endpoint) => {
    for (const id of endpoints) await call(`/admin/api/webhooks/${id}`, { method: 'DELETE' });
    endpoints = [endpoint.id];
    receiver.received.length = 0;
    receiver.answer = () => 204;
    return endpoint;
  };

  before(async () => {
    await receiver.start();
    server = await startTestServer({
      database,
      now: () => Date.now() + offset,
      logger: { level: 'warn', stream: logStream },
      env: {
        GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
        GUESTPASS_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
        GUESTPASS_WEBHOOK_RETRY_SCHEDULE: '0,100ms,100ms,100ms,100ms,100ms,100ms,100ms',
        GUESTPASS_WEBHOOK_POLL_INTERVAL: '50ms',
        GUESTPASS_WEBHOOK_TIMEOUT: '2s',
        GUESTPASS_WEBHOOK_DISABLE_AFTER: '1h',
      },
    });
    const admin = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    token = await server.clientCredentialsToken(admin.client_id, admin.client_secret!);
  });
  after(async () => {
    await server.stop();
    await receiver.stop();
  });

  it('should deliver an outbox event signed in the Standard Webhooks format, and record the attempt', async () => {
    const endpoint = await only(await createEndpoint({ description: 'shop back-end' }));
    assert.match(endpoint.secret, /^whsec_/);
    const event = merged('acct-1', 1);
    await stage({ ...event, network: { ip_prefix: '203.0.113.0/24' } } as OutboundEvent);
    await receiver.waitFor((received) => received.length === 1);
    const [delivery] = receiver.received;
    assert.deepEqual(WebhookReceiver.verify(endpoint.secret, delivery!), {
      type: 'user.merged',
      timestamp: new Date(event.time).toISOString(),
      data: { time: event.time, client_id: 'web', subject: 'acct-1', guest_id: 'guest-1', account_id: 'acct-1', method: 'login' },
    });
    assert.equal(delivery!.headers['content-type'], 'application/json');
    assert.ok(Math.abs(Number(delivery!.timestamp) - Date.now() / 1000) < 60);
    const [outboxRow] = await server.ctx.store.db.selectFrom('outbox_events').select(['id', 'dispatched_at']).execute();
    assert.equal(delivery!.id, outboxRow!.id, 'webhook-id is the outbox row id');
    assert.notEqual(outboxRow!.dispatched_at, null);

    const [message] = await eventually(
      () => messagesOf(endpoint.id),
      (messages) => messages[0]?.status === 'delivered',
    );
    assert.equal(message!.webhook_id, delivery!.id);
    assert.equal(message!.attempts.length, 1);
    assert.equal(message!.attempts[0]!.outcome, 'succeeded');
    assert.equal(message!.attempts[0]!.response_status, 204);
    assert.ok(message!.attempts[0]!.latency_ms >= 0);
  });

  it('should send only the event types and clients an endpoint asks for', async () => {
    const endpoint = await only(await createEndpoint({ event_types: ['user.culled', 'user.merged'], client_ids: ['web'] }));
    await stage(
      { type: 'user.converted', time: Date.now(), client_id: 'web', subject: 'u1', method: 'email' },
      { ...merged('u2', 2), client_id: 'mobile' },
      merged('u3', 3),
      { type: 'user.culled', time: Date.now(), users: 2, sessions: 3, by_client: { web: 2 } },
    );
    await eventually(
      () => messagesOf(endpoint.id),
      (messages) => messages.length === 1 && messages[0]!.status === 'delivered',
    );
    assert.deepEqual(
      receiver.received.map((received) => [received.payload.type, received.payload.data['subject']]),
      [['user.merged', 'u3']],
    );
  });

  it('should deliver every message once and in order per user after the receiver was down', async () => {
    await only(await createEndpoint());
    await receiver.stop();
    const events = [merged('alice', 1), merged('bob', 2), merged('alice', 3), merged('alice', 4), merged('bob', 5), merged('carol', 6)];
    for (const event of events) await stage(event);
    // Let several attempts fail against the closed port before the receiver comes back.
    await eventually(
      () => server.ctx.store.db.selectFrom('webhook_attempts').select('id').where('outcome', '=', 'failed').execute(),
      (rows) => rows.length >= 3,
    );
    await receiver.start();
    await receiver.waitFor((received) => received.length >= events.length);
    const ids = receiver.received.map((received) => received.id);
    assert.equal(new Set(ids).size, ids.length, 'nothing is delivered twice');
    assert.equal(ids.length, events.length);
    const guestsOf = (user: string) =>
      receiver.received.filter((received) => received.payload.data['account_id'] === user).map((received) => received.payload.data['guest_id']);
    assert.deepEqual(guestsOf('alice'), ['guest-1', 'guest-3', 'guest-4']);
    assert.deepEqual(guestsOf('bob'), ['guest-2', 'guest-5']);
  });

  it('should hold a user’s later messages while an earlier one is retried', async () => {
    await only(await createEndpoint());
    let refusals = 3;
    receiver.answer = (received) => (received.payload.data['guest_id'] === 'guest-1' && refusals-- > 0 ? 503 : 204);
    await stage(merged('dave', 1), merged('dave', 2), merged('erin', 3));
    await receiver.waitFor((received) => received.filter((r) => r.payload.data['account_id'] === 'dave').length === 5);
    const dave = receiver.received.filter((received) => received.payload.data['account_id'] === 'dave').map((received) => received.payload.data['guest_id']);
    assert.deepEqual(dave, ['guest-1', 'guest-1', 'guest-1', 'guest-1', 'guest-2'], 'guest-2 waits for guest-1 and its retries');
  });

  it('should mark a message failed once its schedule is spent, and send it again on retry', async () => {
    const endpoint = await only(await createEndpoint());
    receiver.answer = () => 500;
    await stage(merged('frank', 1));
    const [failed] = await eventually(
      () => messagesOf(endpoint.id, 'failed'),
      (messages) => messages.length === 1,
    );
    assert.equal(failed!.attempts.length, 8, 'one attempt per entry of the schedule');
    assert.deepEqual(
      [failed!.attempts[0]!.outcome, failed!.attempts[0]!.response_status, failed!.attempts[0]!.response_body],
      ['failed', 500, 'receiver says no'],
    );
    receiver.answer = () => 204;
    const retried = await call<Message>(`/admin/api/webhooks/${endpoint.id}/messages/${failed!.id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202);
    const [delivered] = await eventually(
      () => messagesOf(endpoint.id),
      (messages) => messages[0]?.status === 'delivered',
    );
    assert.equal(delivered!.attempts.length, 9);
    assert.equal(new Set(receiver.received.map((received) => received.id)).size, 1, 'a retry keeps the webhook-id');
  });

  it('should sign with both secrets during a rotation overlap and with the new one alone after it', async () => {
    const endpoint = await only(await createEndpoint());
    const rotated = await call<Endpoint & { previous_secret_expires_at: number }>(`/admin/api/webhooks/${endpoint.id}/rotate-secret`, {
      method: 'POST',
      body: { expires_in: 120 },
    });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, endpoint.secret);
    secrets.push(rotated.body.secret);
    await stage(merged('gina', 1));
    await receiver.waitFor((received) => received.length === 1);
    const during = receiver.received[0]!;
    assert.equal(during.signature.split(' ').length, 2);
    WebhookReceiver.verify(endpoint.secret, during);
    WebhookReceiver.verify(rotated.body.secret, during);

    offset += 121_000;
    try {
      await stage(merged('gina', 2));
      await receiver.waitFor((received) => received.length === 2);
    } finally {
      offset -= 121_000;
    }
    const afterwards = receiver.received[1]!;
    assert.equal(afterwards.signature.split(' ').length, 1);
    WebhookReceiver.verify(rotated.body.secret, afterwards);
    assert.throws(() => WebhookReceiver.verify(endpoint.secret, afterwards), /No matching signature/);
  });

  it('should disable an endpoint that has failed for GUESTPASS_WEBHOOK_DISABLE_AFTER, and count it', async () => {
    const endpoint = await only(await createEndpoint());
    receiver.answer = () => 500;
    await stage(merged('hank', 1));
    await eventually(
      () => call<Endpoint & { failing_since: number | null }>(`/admin/api/webhooks/${endpoint.id}`),
      (response) => response.body.failing_since !== null,
    );
    // Two hours on: the server's tokens would have expired too, so the endpoint is read from its table.
    offset += 2 * 3600_000;
    try {
      await stage(merged('ivan', 2));
      const disabled = await eventually(
        () =>
          server.ctx.store.db.selectFrom('webhook_endpoints').select(['enabled', 'disabled_reason']).where('id', '=', endpoint.id).executeTakeFirstOrThrow(),
        (row) => Number(row.enabled) === 0,
      );
      assert.equal(disabled.disabled_reason, 'failing');
      const alert = logLines.map((line) => JSON.parse(line) as { level: number; alert?: { kind: string; endpoint_id: string } }).find((line) => line.alert);
      assert.deepEqual([alert?.level, alert?.alert?.kind, alert?.alert?.endpoint_id], [50, 'webhook_endpoint_disabled', endpoint.id]);
    } finally {
      offset -= 2 * 3600_000;
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /guestpass_webhook_endpoints_disabled_total 1/);
    assert.match(metrics, /guestpass_webhook_deliveries_total\{outcome="http_error"\} \d+/);
    assert.match(metrics, /guestpass_webhook_queue_depth\{queue="messages"\} \d+/);

    // Enabled again, it receives events anew.
    receiver.answer = () => 204;
    await call(`/admin/api/webhooks/${endpoint.id}`, { method: 'PATCH', body: { enabled: true } });
    await stage(merged('judy', 3));
    await receiver.waitFor((received) => received.some((r) => r.payload.data['guest_id'] === 'guest-3'));
  });

  it('should purge ended messages with their attempts after the retention, and dispatched outbox rows after a day', async () => {
    const endpoint = await only(await createEndpoint());
    await stage(merged('kate', 1));
    await eventually(
      () => messagesOf(endpoint.id),
      (messages) => messages[0]?.status === 'delivered',
    );
    const { db } = server.ctx.store;
    const count = async (table: 'webhook_messages' | 'webhook_attempts' | 'outbox_events') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    assert.ok((await count('webhook_messages')) > 0 && (await count('webhook_attempts')) > 0 && (await count('outbox_events')) > 0);
    assert.deepEqual(await server.ctx.features.webhooks.purgeExpired(), { outbox: 0, messages: 0 }, 'nothing is old enough yet');
    offset += 31 * 86_400_000;
    try {
      const purged = await server.ctx.features.webhooks.purgeExpired();
      assert.ok(purged.outbox > 0 && purged.messages > 0);
    } finally {
      offset -= 31 * 86_400_000;
    }
    // Pending messages stay whatever their age (the endpoint disabled earlier still holds one).
    assert.equal(
      await count('webhook_attempts'),
      Number(
        (
          await db
            .selectFrom('webhook_attempts')
            .innerJoin('webhook_messages', 'webhook_messages.id', 'webhook_attempts.message_id')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('webhook_messages.status', '=', 'pending')
            .executeTakeFirstOrThrow()
        ).n,
      ),
    );
    assert.equal(
      Number(
        (
          await db
            .selectFrom('webhook_messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('status', '!=', 'pending')
            .executeTakeFirstOrThrow()
        ).n,
      ),
      0,
    );
    assert.equal(await count('outbox_events'), 0);
  });

  it('should log no secret', () => {
    assert.ok(logLines.length > 0);
    for (const line of logLines) for (const secret of secrets) assert.ok(!line.includes(secret.slice(6)), line);
  });
});
