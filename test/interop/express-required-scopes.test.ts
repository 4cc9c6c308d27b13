import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RequestHandler } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { register, startMailedServer, uniqueEmail, type MailedServer } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { createGuest } from '../helpers/guests.js';
import { startExpressApi, type ExpressApi } from '../helpers/express-api.js';

const AUDIENCE = 'https://orders.example.test';

/**
 * An Express API whose route needs `orders:read`, as its developer would guard it: `auth` in
 * strict RFC 9068 mode, then `requiredScopes`, which reads the token's `scope` claim.
 */
function startOrdersApi(issuer: string): Promise<ExpressApi> {
  const needsOrdersRead = requiredScopes('orders:read');
  const route: RequestHandler = (request, response, next) =>
    needsOrdersRead(request, response, (error?: unknown) => {
      if (error) return next(error);
      response.json({ sub: request.auth?.payload.sub });
    });
  return startExpressApi(auth({ issuerBaseURL: issuer, audience: AUDIENCE, strict: true }), route);
}

describeEachDatabase('express-oauth2-jwt-bearer requiredScopes and account scopes', (database) => {
  let fixture: MailedServer;
  let api: ExpressApi;
  let clientId: string;

  before(async () => {
    fixture = await startMailedServer(database);
    api = await startOrdersApi(fixture.server.ctx.issuer.value);
    clientId = await fixture.admin.publicClient(
      { scopes: ['cart:write'] },
      { scopes: ['cart:write', 'orders:read'], audiences: [AUDIENCE], user: { scopes: ['cart:write', 'orders:read'] } },
    );
  });
  after(async () => {
    await api?.close();
    await fixture?.stop();
  });

  const getOrders = (token: string) => fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${token}` } });

  it('lets a registered user’s token through a route that requires a user scope', async () => {
    const registered = await register(fixture.server, fixture.smtp, { clientId, email: uniqueEmail('orders'), password: 'orders passphrase here' });
    const response = await getOrders(registered.body['access_token'] as string);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { sub: registered.body['user_id'] });
  });

  it('refuses a guest’s token there with 403 insufficient_scope', async () => {
    const guest = await createGuest(fixture.server, { client_id: clientId });
    assert.equal(guest.status, 200);
    const response = await getOrders(guest.body.access_token);
    assert.equal(response.status, 403);
    assert.match(response.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });
});
