import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as client from 'openid-client';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'https://orders.example.test';

describeEachDatabase('openid-client interop', (database) => {
  let server: TestServer;
  let clientId: string;
  let config: client.Configuration;

  before(async () => {
    server = await startTestServer({ database });
    const created = await server.createClient(['--name', 'openid-client', '--type', 'confidential', '--scope', 'orders:read', '--audience', AUDIENCE]);
    clientId = created.client_id;
    // Default discovery fetches /.well-known/openid-configuration, which Guestpass serves too.
    // allowInsecureRequests: the test server is plain http on 127.0.0.1.
    config = await client.discovery(new URL(server.ctx.issuer.value), clientId, created.client_secret!, undefined, {
      execute: [client.allowInsecureRequests],
    });
  });
  after(() => server.stop());

  it('discovers the server through /.well-known/openid-configuration', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, server.ctx.issuer.value);
    assert.equal(metadata.introspection_endpoint, `${server.ctx.issuer.value}/oauth/introspect`);
    assert.equal(metadata.revocation_endpoint, `${server.ctx.issuer.value}/oauth/revoke`);
  });

  it('gets an access token with the client_credentials grant', async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: 'orders:read' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'orders:read');
    assert.ok(tokens.expiresIn()! > 0);
  });

  it('introspects an active token with its claims, then sees it inactive once revoked', async () => {
    const { access_token } = await client.clientCredentialsGrant(config);

    const active = await client.tokenIntrospection(config, access_token);
    assert.equal(active.active, true);
    assert.equal(active.iss, server.ctx.issuer.value);
    assert.equal(active.sub, clientId);
    assert.equal(active.client_id, clientId);
    assert.equal(active.aud, AUDIENCE);
    assert.equal(active.scope, 'orders:read');
    assert.equal(active.token_type, 'Bearer');
    assert.ok(typeof active.exp === 'number' && active.exp > Date.now() / 1000);
    assert.ok(typeof active.jti === 'string' && active.jti.length > 0);

    await client.tokenRevocation(config, access_token, { token_type_hint: 'access_token' });

    // RFC 7662 §2.2: an inactive token is {"active": false} and nothing more.
    const revoked = await client.tokenIntrospection(config, access_token);
    assert.deepEqual({ ...revoked }, { active: false });
  });
});
