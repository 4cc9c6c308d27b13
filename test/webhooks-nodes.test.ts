import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { OutboundEvent } from '../src/events/outbox.js';
import { postgresUrl } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { dropSchema, uniqueSchema } from './helpers/store.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/** Two servers on one PostgreSQL schema: rows are claimed with FOR UPDATE SKIP LOCKED, so nothing goes twice. */
describe('webhooks from two nodes on PostgreSQL', { skip: postgresUrl() ? false : 'PostgreSQL not reachable (set GUESTPASS_TEST_DATABASE_URL)' }, () => {
  const schema = uniqueSchema('gp_hooks_nodes');
  const receiver = new WebhookReceiver();
  const nodes: TestServer[] = [];

  before(async () => {
    await receiver.start();
    const env = {
      GUESTPASS_DATABASE_URL: postgresUrl()!,
      GUESTPASS_DATABASE_SCHEMA: schema,
      // One master key for both: each opens the endpoints' sealed secrets.
      GUESTPASS_MASTER_KEY: randomBytes(32).toString('base64url'),
      GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
      GUESTPASS_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
      GUESTPASS_WEBHOOK_POLL_INTERVAL: '50ms',
      GUESTPASS_WEBHOOK_CONCURRENCY: '4',
      GUESTPASS_WEBHOOK_RETRY_SCHEDULE: '0,50ms,50ms,50ms,50ms,50ms',
    };
    // Started one after the other: the second finds the schema migrated.
    nodes.push(await startTestServer({ database: 'sqlite', env }));
    nodes.push(await startTestServer({ database: 'sqlite', env }));
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    await receiver.stop();
    await dropSchema(schema);
  });

  it('should deliver each message exactly once, in order per user, whichever node commits or sends', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const first = await a.ctx.webhooks.create({ url: `${receiver.url}?endpoint=1` });
    await b.ctx.webhooks.create({ url: `${receiver.url}?endpoint=2` });
    assert.ok(first.endpoint.enabled);
    // Some refusals, so that retries (and their claims) race too.
    let answers = 0;
    receiver.answer = () => (++answers % 7 === 0 ? 503 : 204);

    const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
    const total = 120;
    for (let n = 0; n < total; n++) {
      const node = n % 2 === 0 ? a : b;
      const user = users[n % users.length]!;
      const event: OutboundEvent = { type: 'user.merged', time: Date.now(), subject: user, account_id: user, guest_id: `g${n}`, method: 'login' };
      const staged = await node.ctx.store.db.transaction().execute((trx) => node.ctx.outbox.stage(trx, [event]));
      staged.announce();
    }

    const delivered = () => receiver.received.filter((_, index) => (index + 1) % 7 !== 0);
    await receiver.waitFor(() => delivered().length >= total * 2, 60_000);
    const keys = delivered().map((received) => `${received.path} ${received.id}`);
    assert.equal(new Set(keys).size, keys.length, 'no message was delivered twice');
    assert.equal(keys.length, total * 2);
    for (const path of ['/hooks?endpoint=1', '/hooks?endpoint=2']) {
      for (const user of users) {
        const guests = delivered()
          .filter((received) => received.path === path && received.payload.data['account_id'] === user)
          .map((received) => Number(String(received.payload.data['guest_id']).slice(1)));
        assert.deepEqual(
          guests,
          [...guests].sort((x, y) => x - y),
          `${user} in order at ${path}`,
        );
        assert.equal(guests.length, total / users.length);
      }
    }
    for (const node of nodes) {
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      const sent = Number(/guestpass_webhook_deliveries_total\{outcome="succeeded"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      assert.ok(sent > 0, `both nodes delivered (${node.url}: ${sent})`);
    }
  });
});
