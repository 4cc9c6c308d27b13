import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { EventBus } from '../events/bus.js';
import { createAdminAccess } from './access.js';

/** A guard with no credential behind it: these tests are about which routes must use it. */
function access() {
  return createAdminAccess({
    oauth: { requireAccessToken: () => async () => {} },
    operators: { authenticate: async () => undefined, csrfMatches: () => false },
    events: new EventBus(),
    issuer: () => 'http://127.0.0.1:4455',
    now: Date.now,
  });
}

describe('the admin API access check', () => {
  it('should refuse to register an admin route that does not use requireAdmin', async () => {
    const app = Fastify();
    const guard = access();
    guard.install(app);
    app.get('/admin/api/things', { preHandler: guard.requireAdmin('read') }, async () => ({}));
    app.get('/admin/api/session', async () => ({}));
    app.get('/anonymous/session', async () => ({}));
    assert.throws(() => app.get('/admin/api/other', async () => ({})), /GET \/admin\/api\/other is an admin route without requireAdmin/);
    assert.throws(() => app.post('/admin/api', { preHandler: async () => {} }, async () => ({})), /without requireAdmin/);
    await app.close();
  });
});
