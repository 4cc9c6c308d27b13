import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachDatabase('admin API: clients', (database) => {
  let server: TestServer;
  let adminToken: string;
  let readOnlyToken: string;
  const call = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? adminToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });

  before(async () => {
    server = await startTestServer({ database });
    const admin = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    adminToken = await server.clientCredentialsToken(admin.client_id, admin.client_secret!);
    readOnlyToken = await server.clientCredentialsToken(admin.client_id, admin.client_secret!, { scope: 'admin:read' });
  });
  after(() => server.stop());

  it('should refuse --admin scopes to clients created without --admin', async () => {
    await assert.rejects(server.createClient(['--name', 'sneaky', '--type', 'confidential', '--scope', 'admin:write']), /reserved for admin clients/);
  });

  it('should create a client whose secret is shown once and works at the token endpoint', async () => {
    const response = await call('/admin/api/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'orders api', type: 'confidential', scopes: ['orders:read'], audiences: ['https://orders.example'], access_token_ttl: 300 }),
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const created = (await response.json()) as { client_id: string; client_secret: string; audiences: string[] };
    assert.deepEqual(created.audiences, ['https://orders.example']);
    const token = await server.clientCredentialsToken(created.client_id, created.client_secret);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims['aud'], 'https://orders.example');
    assert.equal(claims['scope'], 'orders:read');
    assert.equal((claims['exp'] as number) - (claims['iat'] as number), 300);

    const read = (await (await call(`/admin/api/clients/${created.client_id}`)).json()) as Record<string, unknown> & { secrets: unknown[] };
    assert.equal(read['client_secret'], undefined, 'a secret is never shown again');
    assert.equal(read.secrets.length, 1);
    const listed = (await (await call('/admin/api/clients', { token: readOnlyToken })).json()) as { clients: { client_id: string }[] };
    assert.ok(listed.clients.some((client) => client.client_id === created.client_id));
  });

  it('should rotate a secret through the API and delete a client', async () => {
    const { client_id, client_secret } = await server.createClient(['--name', 'rotating', '--type', 'confidential']);
    const rotated = (await (
      await call(`/admin/api/clients/${client_id}/rotate-secret`, { method: 'POST', body: JSON.stringify({ overlap_seconds: 0 }) })
    ).json()) as {
      client_secret: string;
    };
    await assert.rejects(server.clientCredentialsToken(client_id, client_secret!), /401/);
    await server.clientCredentialsToken(client_id, rotated.client_secret);

    assert.equal((await call(`/admin/api/clients/${client_id}`, { method: 'DELETE' })).status, 204);
    await assert.rejects(server.clientCredentialsToken(client_id, rotated.client_secret), /401/);
    const missing = await call(`/admin/api/clients/${client_id}`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: string }).error, 'not_found');
  });

  it('should need admin:write to change anything', async () => {
    const response = await call('/admin/api/clients', { method: 'POST', token: readOnlyToken, body: JSON.stringify({ name: 'x', type: 'public' }) });
    assert.equal(response.status, 403);
    assert.match(response.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  it('should take user scopes among the client’s own scopes only, and follow the guest scopes when they are unset', async () => {
    const create = (body: Record<string, unknown>) =>
      call('/admin/api/clients', { method: 'POST', body: JSON.stringify({ name: 'shop', type: 'public', ...body }) }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }));
    const outside = await create({ scopes: ['orders:read'], guest: { scopes: ['cart:write'] }, user: { scopes: ['orders:read', 'orders:write'] } });
    assert.equal(outside.status, 400);
    assert.equal(outside.body['error'], 'invalid_client_metadata');
    assert.match(outside.body['error_description'] as string, /user\.scopes has "orders:write", which is not one of the client's scopes \(orders:read\)/);
    const unknown = await create({ scopes: ['orders:read'], user: { scopes: ['orders:read'], roles: ['buyer'] } });
    assert.equal(unknown.status, 400, 'user settings refuse unknown fields');
    const admin = await call('/admin/api/clients', {
      method: 'POST',
      body: JSON.stringify({ name: 'ops 2', type: 'confidential', is_admin: true, user: { scopes: ['admin:read'] } }),
    });
    assert.equal(admin.status, 400);
    assert.match(((await admin.json()) as { error_description: string }).error_description, /Users can never hold "admin:read"/);

    const created = await create({ scopes: ['orders:read', 'cart:write'], guest: { scopes: ['cart:write'] } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body['user'], { scopes: null }, 'unset: registered users get the guest scopes');
    const id = created.body['client_id'] as string;
    const patch = async (body: Record<string, unknown>) => {
      const response = await call(`/admin/api/clients/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const set = await patch({ user: { scopes: ['orders:read', 'cart:write', 'orders:read'] } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body['user'], { scopes: ['orders:read', 'cart:write'] });
    const dropped = await patch({ scopes: ['cart:write'] });
    assert.equal(dropped.status, 400, 'the client cannot drop a scope its users hold');
    assert.match(dropped.body['error_description'] as string, /remove it from user\.scopes/);
    const reset = await patch({ user: { scopes: null } });
    assert.deepEqual(reset.body['user'], { scopes: null });
    assert.deepEqual(((await (await call(`/admin/api/clients/${id}`)).json()) as Record<string, unknown>)['user'], { scopes: null }, 'and it is stored');
  });

  it('should take user scopes from `clients create --user-scope`', async () => {
    const { client_id } = await server.createClient(['--name', 'cli shop', '--type', 'public', '--scope', 'orders:read', '--user-scope', 'orders:read']);
    const read = (await (await call(`/admin/api/clients/${client_id}`)).json()) as Record<string, unknown>;
    assert.deepEqual(read['user'], { scopes: ['orders:read'] });
    await assert.rejects(
      server.createClient(['--name', 'cli shop', '--type', 'public', '--user-scope', 'orders:read']),
      /not one of the client's scopes \(none\)/,
    );
  });

  it('should list clients through the CLI in JSON', async () => {
    const output = JSON.parse(await server.cli(['clients', 'list', '--json'])) as { clients: { name: string }[] };
    assert.ok(output.clients.some((client) => client.name === 'ops'));
  });
});
