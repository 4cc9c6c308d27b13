import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The test server speaks plain http on 127.0.0.1; oauth4webapi refuses that unless told. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const AUDIENCE = 'https://orders.example.test';

describeEachDatabase('oauth4webapi interop', (database) => {
  let server: TestServer;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientSecret: string;

  before(async () => {
    server = await startTestServer({ database });
    const created = await server.createClient(['--name', 'oauth4webapi', '--type', 'confidential', '--scope', 'orders:read', '--audience', AUDIENCE]);
    client = { client_id: created.client_id };
    clientSecret = created.client_secret!;
    const issuer = new URL(server.ctx.issuer.value);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  });
  after(() => server.stop());

  async function clientCredentials(auth: oauth.ClientAuth): Promise<oauth.TokenEndpointResponse> {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope: 'orders:read' }), insecure);
    return oauth.processClientCredentialsResponse(as, client, response);
  }

  function resourceRequest(accessToken: string): Request {
    return new Request(`${server.url}/orders`, { headers: { authorization: `Bearer ${accessToken}` } });
  }

  it('discovers the server through the RFC 8414 well-known document', () => {
    assert.equal(as.issuer, server.ctx.issuer.value);
    assert.equal(as.token_endpoint, `${server.ctx.issuer.value}/oauth/token`);
    assert.equal(as.jwks_uri, `${server.ctx.issuer.value}/.well-known/jwks.json`);
    assert.ok(as.grant_types_supported?.includes('client_credentials'));
  });

  it('gets a bearer token with client_secret_basic', async () => {
    const tokens = await clientCredentials(oauth.ClientSecretBasic(clientSecret));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'orders:read');
    assert.ok(typeof tokens.expires_in === 'number' && tokens.expires_in > 0);
  });

  it('gets a bearer token with client_secret_post', async () => {
    const tokens = await clientCredentials(oauth.ClientSecretPost(clientSecret));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.access_token.split('.').length, 3);
  });

  it('validates the access token as an RFC 9068 JWT for its audience', async () => {
    const { access_token } = await clientCredentials(oauth.ClientSecretBasic(clientSecret));
    const claims = await oauth.validateJwtAccessToken(as, resourceRequest(access_token), AUDIENCE, insecure);
    assert.equal(claims.iss, server.ctx.issuer.value);
    assert.equal(claims.aud, AUDIENCE);
    assert.equal(claims.sub, client.client_id);
    assert.equal(claims.client_id, client.client_id);
    assert.equal(claims['scope'], 'orders:read');
  });

  it('rejects the access token for another audience', async () => {
    const { access_token } = await clientCredentials(oauth.ClientSecretBasic(clientSecret));
    await assert.rejects(oauth.validateJwtAccessToken(as, resourceRequest(access_token), 'https://someone-else.example.test', insecure), (error: unknown) => {
      assert.ok(error instanceof oauth.OperationProcessingError);
      assert.equal(error.code, oauth.JWT_CLAIM_COMPARISON);
      assert.equal((error.cause as { claim?: string }).claim, 'aud');
      return true;
    });
  });
});
