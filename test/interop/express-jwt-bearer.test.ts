import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { auth } from 'express-oauth2-jwt-bearer';
import { describeEachDatabase } from '../helpers/databases.js';
import { startExpressApi, type ExpressApi } from '../helpers/express-api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'https://orders.example.test';

/**
 * A resource server as an Express developer would write it: `issuerBaseURL` discovery (which
 * accepts http outside NODE_ENV=production) and `strict: true`, which demands RFC 9068 access
 * tokens (`typ: at+jwt` and the iss, sub, aud, exp, iat, jti, client_id claims).
 */
function startResourceServer(issuer: string): Promise<ExpressApi> {
  return startExpressApi(auth({ issuerBaseURL: issuer, audience: AUDIENCE, strict: true }), (request, response) => {
    response.json({ sub: request.auth?.payload.sub, scope: request.auth?.payload['scope'] });
  });
}

/** Replaces the payload and keeps the original signature, as a forger would. */
function tamper(jwt: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...changes };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describeEachDatabase('express-oauth2-jwt-bearer interop', (database) => {
  let server: TestServer;
  let api: Awaited<ReturnType<typeof startResourceServer>>;
  let clientId: string;
  let clientSecret: string;

  before(async () => {
    server = await startTestServer({ database });
    api = await startResourceServer(server.ctx.issuer.value);
    const created = await server.createClient(['--name', 'express-api', '--type', 'confidential', '--scope', 'orders:read', '--audience', AUDIENCE]);
    clientId = created.client_id;
    clientSecret = created.client_secret!;
  });
  after(async () => {
    await api.close();
    await server.stop();
  });

  const getOrders = (authorization?: string) => fetch(`${api.url}/orders`, authorization ? { headers: { authorization } } : {});

  it('accepts a Guestpass access token in strict mode', async () => {
    const token = await server.clientCredentialsToken(clientId, clientSecret);
    const response = await getOrders(`Bearer ${token}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { sub: clientId, scope: 'orders:read' });
  });

  it('answers 401 to a request without a token', async () => {
    const response = await getOrders();
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  it('answers 401 to a token whose payload was altered', async () => {
    const token = await server.clientCredentialsToken(clientId, clientSecret);
    const response = await getOrders(`Bearer ${tamper(token, { scope: 'orders:read orders:write' })}`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  it('answers 401 to a token issued for another audience', async () => {
    const other = await server.createClient(['--name', 'elsewhere', '--type', 'confidential', '--audience', 'https://billing.example.test']);
    const token = await server.clientCredentialsToken(other.client_id, other.client_secret!);
    const response = await getOrders(`Bearer ${token}`);
    assert.equal(response.status, 401);
  });
});
