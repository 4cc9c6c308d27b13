import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  event_types: string[] | null;
  client_ids: string[] | null;
  enabled: boolean;
  secret?: string;
  previous_secret_expires_at: number | null;
}

/** The admin API and CLI of webhook endpoints, on a server with the default SSRF guard. */
describeEachDatabase('admin API: webhooks', (database) => {
  let server: TestServer;
  let token: string;
  let readOnly: string;
  const receiver = new WebhookReceiver();
  const call = async <T = Record<string, unknown>>(path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, headers: response.headers, body: (response.status === 204 ? {} : await response.json()) as T };
  };

  before(async () => {
    await receiver.start();
    // Loopback URLs are accepted (development), but delivery to them is not allowed: the default guard.
    server = await startTestServer({ database, env: { GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', GUESTPASS_WEBHOOK_POLL_INTERVAL: '50ms' } });
    const admin = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    token = await server.clientCredentialsToken(admin.client_id, admin.client_secret!);
    readOnly = await server.clientCredentialsToken(admin.client_id, admin.client_secret!, { scope: 'admin:read' });
  });
  after(async () => {
    await server.stop();
    await receiver.stop();
  });

  it('should create, read, change and delete an endpoint, showing its secret once', async () => {
    const created = await call<Endpoint>('/admin/api/webhooks', {
      method: 'POST',
      body: { url: 'https://hooks.example.com/guestpass#frag', description: 'orders', event_types: ['user.merged', 'user.converted'] },
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    assert.match(created.body.secret!, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(created.body.url, 'https://hooks.example.com/guestpass');
    assert.deepEqual([created.body.enabled, created.body.client_ids], [true, null]);

    const read = await call<Endpoint>(`/admin/api/webhooks/${created.body.id}`, { token: readOnly });
    assert.equal(read.body.secret, undefined, 'never shown again');
    assert.equal(read.body.description, 'orders');
    const listed = await call<{ endpoints: Endpoint[] }>('/admin/api/webhooks', { token: readOnly });
    assert.ok(listed.body.endpoints.some((endpoint) => endpoint.id === created.body.id && endpoint.secret === undefined));

    const patched = await call<Endpoint>(`/admin/api/webhooks/${created.body.id}`, {
      method: 'PATCH',
      body: { event_types: null, client_ids: ['web'], enabled: false, description: 'orders v2' },
    });
    assert.deepEqual([patched.body.event_types, patched.body.client_ids, patched.body.enabled, patched.body.description], [null, ['web'], false, 'orders v2']);

    const rotated = await call<Endpoint>(`/admin/api/webhooks/${created.body.id}/rotate-secret`, { method: 'POST', body: { expires_in: 3600 } });
    assert.match(rotated.body.secret!, /^whsec_/);
    assert.notEqual(rotated.body.secret, created.body.secret);
    assert.ok(rotated.body.previous_secret_expires_at! > Date.now() + 3500_000);

    const stored = await server.ctx.store.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(stored).includes(rotated.body.secret!.slice(6)), 'secrets are stored sealed');
    assert.ok(!JSON.stringify(stored).includes(created.body.secret!.slice(6)));

    assert.equal((await call(`/admin/api/webhooks/${created.body.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call(`/admin/api/webhooks/${created.body.id}`)).status, 404);
  });

  it('should refuse bad endpoints with an error that says what to do', async () => {
    const refused = async (body: unknown, pattern: RegExp) => {
      const response = await call<{ error: string; error_description: string }>('/admin/api/webhooks', { method: 'POST', body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.body.error_description, pattern);
    };
    await refused({ url: 'http://hooks.example.com/' }, /https/);
    await refused({ url: 'ftp://hooks.example.com/' }, /https/);
    await refused({ url: 'not a url' }, /https/);
    await refused({ url: 'https://user:pass@hooks.example.com/' }, /credentials/);
    await refused({ url: 'https://10.0.0.8/hook' }, /GUESTPASS_WEBHOOK_ALLOWED_CIDRS/);
    await refused({ url: 'https://169.254.169.254/latest/meta-data' }, /non-public/);
    await refused({ url: 'https://[fe80::1]/hook' }, /non-public/);
    await refused({ url: 'https://hooks.example.com/', event_types: ['token.issued'] }, /outbound events/);
    await refused({ url: 'https://hooks.example.com/', secret: 'mine' }, /secret/);
    assert.equal((await call('/admin/api/webhooks', { method: 'POST', body: { url: 'https://hooks.example.com/' }, token: readOnly })).status, 403);
    assert.equal((await call('/admin/api/webhooks/nope/messages')).status, 404);
    assert.equal((await call('/admin/api/webhooks/nope/messages?color=red')).status, 400);
  });

  it('should refuse delivery to loopback by default: the attempt is recorded, nothing arrives', async () => {
    for (const url of [receiver.url, receiver.url.replace('127.0.0.1', 'localhost')]) {
      const created = await call<Endpoint>('/admin/api/webhooks', { method: 'POST', body: { url } });
      assert.equal(created.status, 201);
      const staged = await server.ctx.store.db
        .transaction()
        .execute((trx) => server.ctx.outbox.stage(trx, [{ type: 'user.deleted', time: Date.now(), subject: 'u1', merged_guests: 0 }]));
      staged.announce();
      const deadline = Date.now() + 30_000;
      let attempts: { error: string | null; response_status: number | null }[] = [];
      while (attempts.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const page = await call<{ messages: { attempts: typeof attempts }[] }>(`/admin/api/webhooks/${created.body.id}/messages`);
        attempts = page.body.messages[0]?.attempts ?? [];
      }
      assert.deepEqual(
        attempts.map((attempt) => [attempt.error, attempt.response_status]),
        [['address_refused', null]],
        url,
      );
      await call(`/admin/api/webhooks/${created.body.id}`, { method: 'DELETE' });
    }
    assert.equal(receiver.received.length, 0);
  });

  it('should page through messages with a cursor, newest first', async () => {
    // A name no DNS here answers: the messages stay, pending or failed, for this read.
    const created = await call<Endpoint>('/admin/api/webhooks', { method: 'POST', body: { url: 'https://hooks.invalid/paged' } });
    const staged = await server.ctx.store.db.transaction().execute((trx) =>
      server.ctx.outbox.stage(
        trx,
        [1, 2, 3, 4, 5].map((n) => ({ type: 'user.converted' as const, time: Date.now(), subject: `paged-${n}`, method: 'email' as const })),
      ),
    );
    staged.announce();
    const seen: string[] = [];
    const deadline = Date.now() + 30_000;
    while (seen.length < 5 && Date.now() < deadline) {
      seen.length = 0;
      let cursor: string | null = null;
      do {
        const page: { body: { messages: { id: string; payload: { data: { subject: string } } }[]; next_cursor: string | null } } = await call(
          `/admin/api/webhooks/${created.body.id}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.body.messages.map((message) => message.payload.data.subject));
        cursor = page.body.next_cursor;
      } while (cursor);
      if (seen.length < 5) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(seen, ['paged-5', 'paged-4', 'paged-3', 'paged-2', 'paged-1']);
    assert.equal((await call(`/admin/api/webhooks/${created.body.id}/messages?cursor=bad!`)).status, 400);
    await call(`/admin/api/webhooks/${created.body.id}`, { method: 'DELETE' });
  });

  it('should manage endpoints from the command line', async () => {
    const created = JSON.parse(
      await server.cli(['webhooks', 'create', '--url', 'https://cli.example.com/hook', '--event-type', 'alert.raised', '--json']),
    ) as Endpoint;
    assert.match(created.secret!, /^whsec_/);
    assert.deepEqual(created.event_types, ['alert.raised']);
    assert.match(await server.cli(['webhooks', 'list']), new RegExp(`${created.id}\\s+enabled\\s+alert.raised\\s+https://cli.example.com/hook`));
    const rotated = JSON.parse(await server.cli(['webhooks', 'rotate', created.id, '--expires-in', '60', '--json'])) as Endpoint;
    assert.notEqual(rotated.secret, created.secret);
    assert.match(await server.cli(['webhooks', 'disable', created.id]), /disabled/);
    assert.equal((await call<Endpoint>(`/admin/api/webhooks/${created.id}`)).body.enabled, false);
    assert.match(await server.cli(['webhooks', 'enable', created.id]), /enabled/);
    assert.equal((await call<Endpoint>(`/admin/api/webhooks/${created.id}`)).body.enabled, true);
    assert.match(await server.cli(['webhooks', 'delete', created.id]), /Deleted/);
    assert.equal((await call(`/admin/api/webhooks/${created.id}`)).status, 404);
    await assert.rejects(server.cli(['webhooks', 'create', '--url', 'http://example.com/']), /https/);
  });
});
