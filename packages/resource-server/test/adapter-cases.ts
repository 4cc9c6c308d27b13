import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VerifyOptions } from '../src/index.js';
import { AUDIENCE, dpopProof, type Issuer, newKey, startIssuer } from './guestpass.js';

/**
 * An API as a developer would write it with one of the adapters, on 127.0.0.1:
 * `GET /api/me` answers `{sub, sid, is_anonymous, scopes, claims}` from the verified token,
 * `GET /api/orders` also needs `orders:read`, `GET /api/products` serves callers with or
 * without a token (`optional`).
 */
export type StartApi = (options: VerifyOptions) => Promise<{ url: string; close(): Promise<void> }>;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** The same behaviour, framework by framework: the adapters differ only in how they read a request and answer. */
export function describeAdapter(name: string, startApi: StartApi): void {
  describe(`${name} adapter against a real Guestpass`, () => {
    let gp: Issuer;
    let api: Awaited<ReturnType<StartApi>>;

    before(async () => {
      gp = await startIssuer();
      api = await startApi({ issuer: gp.issuer, audience: AUDIENCE, introspection: { ...gp.introspection, cacheTtl: 0 } });
    });
    after(async () => {
      await api.close();
      await gp.stop();
    });

    const get = async (path: string, headers: Record<string, string> = {}): Promise<Answer> => {
      const response = await fetch(`${api.url}${path}`, { headers });
      return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
    };

    it('sets the caller from a valid guest token', async () => {
      const guest = await gp.guest();
      const me = await get('/api/me', { authorization: `Bearer ${guest.access_token}` });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { sub: guest.user_id, sid: guest.session_id, is_anonymous: true, scopes: ['cart:write'], claims: {} });
    });

    it('answers a request without a token 401 with a bare Bearer challenge and an error body', async () => {
      const me = await get('/api/me');
      assert.equal(me.status, 401);
      assert.equal(me.headers.get('www-authenticate'), 'Bearer realm="api"');
      assert.equal(me.body['error'], 'invalid_token');
      assert.match(String(me.body['error_description']), /Authorization: Bearer/);
    });

    it('answers a malformed Authorization header 400 invalid_request', async () => {
      const me = await get('/api/me', { authorization: 'Basic dXNlcjpwYXNz' });
      assert.equal(me.status, 400);
      assert.equal(me.body['error'], 'invalid_request');
    });

    it('refuses a token for another audience and a tampered token with invalid_token', async () => {
      const other = await gp.server.createClient(['--name', 'other', '--type', 'confidential', '--audience', 'https://billing.example']);
      const foreign = await gp.server.clientCredentialsToken(other.client_id, other.client_secret!);
      const wrongAudience = await get('/api/me', { authorization: `Bearer ${foreign}` });
      assert.equal(wrongAudience.status, 401);
      assert.equal(wrongAudience.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"');
      assert.match(String(wrongAudience.body['error_description']), /audience/);
      const { access_token } = await gp.guest();
      const tampered = await get('/api/me', { authorization: `Bearer ${access_token.slice(0, -4)}AAAA` });
      assert.equal(tampered.status, 401);
    });

    it('accepts a DPoP-bound token with a proof for this URL, and refuses it without one or with another key', async () => {
      const key = await newKey();
      const guest = await gp.guest(key);
      const url = `${api.url}/api/me`;
      const good = await get('/api/me?x=1', { authorization: `DPoP ${guest.access_token}`, dpop: await dpopProof(key, 'GET', url, guest.access_token) });
      assert.equal(good.status, 200);
      assert.equal(good.body['sub'], guest.user_id);
      const missing = await get('/api/me', { authorization: `DPoP ${guest.access_token}` });
      assert.equal(missing.status, 401);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^DPoP realm="api", error="invalid_dpop_proof", algs="/);
      const otherKey = await get('/api/me', {
        authorization: `DPoP ${guest.access_token}`,
        dpop: await dpopProof(await newKey(), 'GET', url, guest.access_token),
      });
      assert.equal(otherKey.status, 401);
      assert.equal(otherKey.body['error'], 'invalid_dpop_proof');
      const asBearer = await get('/api/me', { authorization: `Bearer ${guest.access_token}` });
      assert.equal(asBearer.status, 401);
      assert.equal(asBearer.body['error'], 'invalid_token');
    });

    it('answers 403 insufficient_scope on a route needing a scope guests lack', async () => {
      const { access_token } = await gp.guest();
      const orders = await get('/api/orders', { authorization: `Bearer ${access_token}` });
      assert.equal(orders.status, 403);
      assert.equal(orders.headers.get('www-authenticate'), 'Bearer realm="api", error="insufficient_scope", scope="orders:read"');
      assert.equal(orders.body['error'], 'insufficient_scope');
    });

    it("refuses a revoked session's token at once with introspection on (cacheTtl 0)", async () => {
      const guest = await gp.guest();
      assert.equal((await get('/api/me', { authorization: `Bearer ${guest.access_token}` })).status, 200);
      await gp.logout(guest.access_token);
      const after = await get('/api/me', { authorization: `Bearer ${guest.access_token}` });
      assert.equal(after.status, 401);
      assert.match(String(after.body['error_description']), /revoked/);
    });

    it('serves an optional route without a token, and still checks a token that is sent', async () => {
      const anonymous = await get('/api/products');
      assert.equal(anonymous.status, 200);
      assert.deepEqual(anonymous.body, { caller: null });
      const { access_token, user_id } = await gp.guest();
      assert.deepEqual((await get('/api/products', { authorization: `Bearer ${access_token}` })).body, { caller: user_id });
      assert.equal((await get('/api/products', { authorization: `Bearer ${access_token}x` })).status, 401);
    });
  });
}
