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

  it('should list clients through the CLI in JSON', async () => {
    const output = JSON.parse(await server.cli(['clients', 'list', '--json'])) as { clients: { name: string }[] };
    assert.ok(output.clients.some((client) => client.name === 'ops'));
  });
});
