import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describeEachDatabase('client_credentials end to end', (database) => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ database });
  });
  after(() => server.stop());

  it('issues an at+jwt access token to a confidential client created by the CLI', async () => {
    // `guestpass clients create` in a process of its own, as an operator runs it (README, Command line).
    const created = await server.cli(['clients', 'create', '--json', '--name', 'api', '--type', 'confidential', '--scope', 'orders:read']);
    const { client_id, client_secret } = JSON.parse(created) as { client_id: string; client_secret?: string };
    const token = await server.clientCredentialsToken(client_id, client_secret!);
    const [header] = token.split('.');
    assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).typ, 'at+jwt');
  });
});
