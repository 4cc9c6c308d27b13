import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLive } from './index.js';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';

describe('guestpass simulate --live', () => {
  let server: TestServer;
  before(async () => {
    // The simulator places each request in its network through X-Forwarded-For.
    server = await startTestServer({ database: 'sqlite', env: { GUESTPASS_TRUSTED_PROXIES: '1' } });
  });
  after(() => server.stop());

  it('plays a client-id swap over HTTP and finds it in the server’s own alerts', { timeout: 120_000 }, async () => {
    const admin = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    const { report, notes } = await runLive({
      url: server.url,
      clientId: admin.client_id,
      clientSecret: admin.client_secret!,
      seed: 4,
      hours: 0.02,
      speed: 4,
      sessionsPerDay: 8000,
      attacks: ['client_swap'],
    });
    const swap = report.attacks.find((a) => a.kind === 'client_swap');
    assert.ok(swap, `client_swap scored (${notes.join('; ')})`);
    assert.equal(swap.detected, swap.injected);
    assert.equal(report.detail.instances[0]?.detector, 'client_mismatch');
    assert.ok(report.legit_sessions > 0);
    assert.equal(report.detail.hard_invariant_false_positives, 0);
  });
});
