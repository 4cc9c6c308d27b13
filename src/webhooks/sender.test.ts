import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebhookReceiver } from '../../test/helpers/webhook-receiver.js';
import { AddressGuard } from './address-guard.js';
import { type Resolve, WebhookSender } from './sender.js';

/** Names no DNS knows, answered here: what a hostile or misconfigured DNS could return. */
const names: Record<string, string[]> = {
  'hooks.example.test': ['127.0.0.1'],
  'internal.example.test': ['10.0.0.1'],
  'metadata.example.test': ['169.254.169.254'],
  'link-local.example.test': ['fe80::1'],
  'mixed.example.test': ['10.0.0.7', '127.0.0.1'],
};
const resolve: Resolve = async (hostname) => {
  const addresses = names[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('webhook sender (SSRF guard)', () => {
  const receiver = new WebhookReceiver();
  let port: string;
  const body = JSON.stringify({ type: 'user.deleted', timestamp: new Date().toISOString(), data: {} });
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };

  before(async () => {
    await receiver.start();
    port = new URL(receiver.url).port;
  });
  after(() => receiver.stop());

  it('should refuse loopback by default, before connecting', async () => {
    const sender = new WebhookSender({ guard: new AddressGuard(), timeoutMs: 2000 });
    try {
      assert.equal((await sender.send(receiver.url, headers, body)).error, 'address_refused');
      assert.equal((await sender.send(`http://localhost:${port}/hooks`, headers, body)).error, 'address_refused', 'localhost, resolved by the system');
      assert.equal(receiver.received.length, 0);
    } finally {
      sender.close();
    }
  });

  it('should refuse names that resolve to private, link-local or metadata addresses', async () => {
    const sender = new WebhookSender({ guard: new AddressGuard({ allowedCidrs: ['127.0.0.1/32'] }), timeoutMs: 2000, resolve });
    try {
      for (const name of ['internal.example.test', 'metadata.example.test', 'link-local.example.test']) {
        assert.equal((await sender.send(`http://${name}:${port}/hooks`, headers, body)).error, 'address_refused', name);
      }
      assert.equal((await sender.send(`http://nowhere.example.test:${port}/hooks`, headers, body)).error, 'dns_error');
      assert.equal(receiver.received.length, 0);
    } finally {
      sender.close();
    }
  });

  it('should connect to the address it checked, and only to a permitted one', async () => {
    const sender = new WebhookSender({ guard: new AddressGuard({ allowedCidrs: ['127.0.0.1/32'] }), timeoutMs: 2000, resolve });
    try {
      // No real DNS knows these names: the connection went where the guard's lookup said.
      assert.equal((await sender.send(`http://hooks.example.test:${port}/hooks`, headers, body)).status, 204);
      assert.equal((await sender.send(`http://mixed.example.test:${port}/hooks`, headers, body)).status, 204, 'the permitted address of the two');
      assert.equal(receiver.received.length, 2);
    } finally {
      sender.close();
    }
  });

  it('should not follow a redirect, and keep only the start of a long answer', async () => {
    const sender = new WebhookSender({ guard: new AddressGuard({ allowedCidrs: ['127.0.0.1/32'] }), timeoutMs: 2000 });
    receiver.received.length = 0;
    receiver.answer = () => 302;
    try {
      const result = await sender.send(receiver.url, headers, body);
      assert.equal(result.status, 302);
      assert.equal(receiver.received.length, 1);
    } finally {
      receiver.answer = () => 204;
      sender.close();
    }
  });

  it('should give up on a receiver that does not answer within the timeout', async () => {
    const sender = new WebhookSender({ guard: new AddressGuard({ allowedCidrs: ['127.0.0.1/32'] }), timeoutMs: 300 });
    receiver.answer = () => 'hang';
    try {
      const result = await sender.send(receiver.url, headers, body);
      assert.equal(result.error, 'timeout');
      assert.ok(result.latencyMs >= 250);
    } finally {
      receiver.answer = () => 204;
      sender.close();
    }
  });
});
