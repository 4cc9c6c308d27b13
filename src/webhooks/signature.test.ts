import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signatureHeader, signWebhook } from './signature.js';

describe('webhook signatures', () => {
  it('should make secrets of 24 random bytes behind whsec_', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
    assert.notEqual(secret, generateWebhookSecret());
  });

  it('should sign as the standardwebhooks package signs and verifies', () => {
    const secret = generateWebhookSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'user.merged', timestamp: new Date().toISOString(), data: { guest_id: 'g', account_id: 'a' } });
    assert.equal(signWebhook(secret, 'msg_1', timestamp, body), new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader([secret], 'msg_1', timestamp, body) };
    assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
  });

  it('should send one signature per secret, each verifying with its own secret alone', () => {
    const [current, previous, stranger] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader([current, previous], 'msg_2', timestamp, '{}');
    assert.equal(header.split(' ').length, 2);
    const headers = { 'webhook-id': 'msg_2', 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    new Webhook(current).verify('{}', headers);
    new Webhook(previous).verify('{}', headers);
    assert.throws(() => new Webhook(stranger).verify('{}', headers), /No matching signature/);
    assert.throws(() => new Webhook(current).verify('{"tampered":1}', headers), /No matching signature/);
  });
});
