import assert from 'node:assert/strict';
import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { generateKeyPair, SignJWT, type JWK } from 'jose';
import { signCompactJws } from '../src/crypto/jws.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

interface Credentials {
  client_id: string;
  client_secret?: string;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const FORM = 'application/x-www-form-urlencoded';

/**
 * Asserts an RFC 6749 §5.2 error object: the status, a JSON body with exactly `error` and
 * `error_description`, WWW-Authenticate on 401 and whole seconds of Retry-After on 429.
 * Returns the description so a test can check what it names.
 */
async function expectOAuthError(response: Response, status: number, error: string): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status} ${error}, got ${response.status} ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], text);
  assert.equal(body['error'], error, text);
  assert.equal(typeof body['error_description'], 'string');
  assert.notEqual(body['error_description'], '');
  if (status === 401) assert.ok(response.headers.get('www-authenticate'), 'a 401 carries WWW-Authenticate');
  if (status === 429) assert.match(response.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'a 429 carries Retry-After in whole seconds');
  return body['error_description'] as string;
}

describeEachDatabase('bad input is refused with the right RFC 6749 error', (database) => {
  let server: TestServer;
  /** Confidential, scope orders:read, audience https://orders.example. */
  let api: Required<Credentials>;
  /** A second confidential client (a resource server that introspects). */
  let other: Required<Credentials>;
  /** A public client. */
  let web: Credentials;
  let admin: Required<Credentials>;
  let adminToken: string;

  const tokenRequest = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(params) });
  const asApi = () => ({ authorization: basic(api.client_id, api.client_secret) });
  const introspect = (token: string, as: Credentials = other) =>
    fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: as.client_secret ? { authorization: basic(as.client_id, as.client_secret) } : {},
      body: new URLSearchParams(as.client_secret ? { token } : { token, client_id: as.client_id }),
    });
  const revoke = (token: string, as: Required<Credentials>) =>
    fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: basic(as.client_id, as.client_secret) },
      body: new URLSearchParams({ token }),
    });
  const listClients = (token: string) => fetch(`${server.url}/admin/api/clients`, { headers: { authorization: `Bearer ${token}` } });
  const createClientOverApi = (body: unknown) =>
    fetch(`${server.url}/admin/api/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** A token that must be dead everywhere: inactive at introspection, invalid_token at a resource. */
  async function expectRejectedEverywhere(token: string): Promise<void> {
    const introspection = await introspect(token);
    assert.equal(introspection.status, 200);
    assert.deepEqual(await introspection.json(), { active: false });
    const resource = await listClients(token);
    await expectOAuthError(resource, 401, 'invalid_token');
    assert.match(resource.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
  }

  /** Claims a forger would want: admin scopes for the admin client, valid for ten minutes. */
  function tempting(): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: server.ctx.issuer.value,
      sub: admin.client_id,
      aud: server.ctx.issuer.value,
      iat: now,
      exp: now + 600,
      jti: randomBytes(16).toString('base64url'),
      client_id: admin.client_id,
      scope: 'admin:read admin:write',
    };
  }

  async function serverJwk(): Promise<JWK & { kid: string }> {
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: (JWK & { kid: string })[] };
    const key = jwks.keys.find((candidate) => candidate.kid === server.ctx.keyring.signingKey.kid);
    assert.ok(key, 'the current signing key is published');
    return key;
  }

  function hs256(key: Buffer | string, kid: string): string {
    const input = `${base64url({ alg: 'HS256', typ: 'at+jwt', kid })}.${base64url(tempting())}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  }

  async function foreignEs256(kid: string): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(tempting()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
  }

  before(async () => {
    server = await startTestServer({ database });
    api = (await server.createClient([
      '--name',
      'orders',
      '--type',
      'confidential',
      '--scope',
      'orders:read',
      '--audience',
      'https://orders.example',
    ])) as Required<Credentials>;
    other = (await server.createClient(['--name', 'resource server', '--type', 'confidential'])) as Required<Credentials>;
    web = await server.createClient(['--name', 'web', '--type', 'public', '--origin', 'https://shop.example']);
    admin = (await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin'])) as Required<Credentials>;
    adminToken = await server.clientCredentialsToken(admin.client_id, admin.client_secret);
  });
  after(() => server.stop());

  // Client authentication (RFC 6749 §2.3, §5.2)

  it('should answer a wrong secret sent with HTTP Basic with 401 invalid_client', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic(api.client_id, 'gps_wrong') });
    await expectOAuthError(response, 401, 'invalid_client');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /);
  });

  it('should answer a wrong secret sent in the body with 401 invalid_client', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', client_id: api.client_id, client_secret: 'gps_wrong' });
    await expectOAuthError(response, 401, 'invalid_client');
  });

  it('should answer an unknown client with 401 invalid_client', async () => {
    await expectOAuthError(
      await tokenRequest({ grant_type: 'client_credentials' }, { authorization: basic('no-such-client', 'secret') }),
      401,
      'invalid_client',
    );
    await expectOAuthError(
      await tokenRequest({ grant_type: 'client_credentials', client_id: 'no-such-client', client_secret: 'secret' }),
      401,
      'invalid_client',
    );
  });

  it('should refuse HTTP Basic and client_secret in the body together with 400 invalid_request', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', client_id: api.client_id, client_secret: api.client_secret }, asApi());
    await expectOAuthError(response, 400, 'invalid_request');
  });

  // Grants, scopes and audiences

  it('should answer an unknown grant_type with 400 unsupported_grant_type', async () => {
    await expectOAuthError(await tokenRequest({ grant_type: 'password', username: 'a', password: 'b' }, asApi()), 400, 'unsupported_grant_type');
  });

  it('should refuse client_credentials to a public client with 400 unauthorized_client', async () => {
    await expectOAuthError(await tokenRequest({ grant_type: 'client_credentials', client_id: web.client_id }), 400, 'unauthorized_client');
  });

  it('should refuse a scope the client lacks with 400 invalid_scope', async () => {
    const description = await expectOAuthError(
      await tokenRequest({ grant_type: 'client_credentials', scope: 'orders:read orders:write' }, asApi()),
      400,
      'invalid_scope',
    );
    assert.match(description, /orders:write/);
  });

  it('should refuse an admin scope to a client that is not an admin with 400 invalid_scope', async () => {
    await expectOAuthError(await tokenRequest({ grant_type: 'client_credentials', scope: 'admin:read' }, asApi()), 400, 'invalid_scope');
  });

  it('should refuse an audience outside the client list with 400 invalid_target', async () => {
    await expectOAuthError(await tokenRequest({ grant_type: 'client_credentials', audience: 'https://payments.example' }, asApi()), 400, 'invalid_target');
    await expectOAuthError(await tokenRequest({ grant_type: 'client_credentials', resource: 'https://payments.example' }, asApi()), 400, 'invalid_target');
  });

  // Malformed HTTP

  it('should answer malformed JSON with 400 invalid_request', async () => {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { ...asApi(), 'content-type': 'application/json' },
      body: '{"grant_type": "client_credentials",',
    });
    await expectOAuthError(response, 400, 'invalid_request');
  });

  it('should answer a text/plain or XML body with 415', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/xml']) {
      const response = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { ...asApi(), 'content-type': type },
        body: type === 'application/xml' ? '<grant_type>client_credentials</grant_type>' : 'grant_type=client_credentials',
      });
      await expectOAuthError(response, 415, 'invalid_request');
    }
  });

  it('should answer a token request larger than 64 KiB with 413', async () => {
    const params = (padding: number) => `grant_type=client_credentials&padding=${'a'.repeat(padding)}`;
    const fits = params(64 * 1024 - params(0).length);
    const tooLarge = params(64 * 1024 - params(0).length + 1);
    const post = (body: string) => fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { ...asApi(), 'content-type': FORM }, body });
    assert.equal((await post(fits)).status, 200, 'exactly 64 KiB is accepted (unknown parameters are ignored)');
    await expectOAuthError(await post(tooLarge), 413, 'invalid_request');
  });

  it('should answer a body larger than 1 MiB with 413 on endpoints without a smaller limit', async () => {
    const remove = (size: number) =>
      fetch(`${server.url}/admin/api/clients/${other.client_id}`, {
        method: 'DELETE',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'a'.repeat(size) }),
      });
    // Under the limit the body is read and the missing token is what fails.
    await expectOAuthError(await remove(100 * 1024), 401, 'invalid_token');
    await expectOAuthError(await remove(1024 * 1024), 413, 'invalid_request');
  });

  it('should refuse a repeated parameter with 400 invalid_request', async () => {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { ...asApi(), 'content-type': FORM },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    assert.match(await expectOAuthError(response, 400, 'invalid_request'), /grant_type/);
  });

  it('should refuse an unknown field in the admin API and name it', async () => {
    const description = await expectOAuthError(await createClientOverApi({ name: 'shop', type: 'public', colour: 'blue' }), 400, 'invalid_request');
    assert.match(description, /"colour"/);
  });

  it('should refuse a missing required field in the admin API and name it', async () => {
    assert.match(await expectOAuthError(await createClientOverApi({ name: 'shop' }), 400, 'invalid_request'), /"type"/);
    assert.match(await expectOAuthError(await createClientOverApi({ type: 'public' }), 400, 'invalid_request'), /"name"/);
  });

  // Forged and dead access tokens (RFC 9068 §4, RFC 6750 §3.1, RFC 7662 §2.2)

  it('should accept a valid admin token at the admin API and refuse one without admin:read with 403', async () => {
    const ok = await listClients(adminToken);
    assert.equal(ok.status, 200);
    const introspection = (await (await introspect(adminToken)).json()) as { active: boolean; client_id: string };
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, admin.client_id);

    const ordersToken = await server.clientCredentialsToken(api.client_id, api.client_secret);
    const refused = await listClients(ordersToken);
    await expectOAuthError(refused, 403, 'insufficient_scope');
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  it('should reject a token with alg none', async () => {
    const kid = server.ctx.keyring.signingKey.kid;
    await expectRejectedEverywhere(`${base64url({ alg: 'none', typ: 'at+jwt', kid })}.${base64url(tempting())}.`);
    await expectRejectedEverywhere(`${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url(tempting())}.`);
  });

  it('should reject an HS256 token keyed with the server public key as PEM, DER or JWK JSON', async () => {
    const jwk = await serverJwk();
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const der = publicKey.export({ type: 'spki', format: 'der' });
    const bareJwk = Object.fromEntries(Object.entries(jwk).filter(([name]) => ['kty', 'crv', 'x', 'y'].includes(name)));
    for (const key of [pem, pem.trim(), der, JSON.stringify(jwk), JSON.stringify(bareJwk)]) {
      await expectRejectedEverywhere(hs256(key, jwk.kid));
    }
  });

  it('should reject a token signed by a foreign ES256 key under a foreign kid', async () => {
    await expectRejectedEverywhere(await foreignEs256('attacker-key-1'));
  });

  it('should reject a token signed by a foreign key under the server real kid', async () => {
    await expectRejectedEverywhere(await foreignEs256(server.ctx.keyring.signingKey.kid));
  });

  it('should reject a real token whose payload was changed', async () => {
    const real = await server.clientCredentialsToken(api.client_id, api.client_secret);
    const [header, payload, signature] = real.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    await expectRejectedEverywhere(`${header}.${base64url({ ...claims, scope: 'admin:read admin:write' })}.${signature}`);
    await expectRejectedEverywhere(`${header}.${base64url({ ...claims, exp: (claims['exp'] as number) + 3600 })}.${signature}`);
  });

  it('should reject an expired token signed with the server own key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) => signCompactJws(server.ctx.keyring.signingKey, { typ: 'at+jwt' }, claims);
    // The same forgery with a future exp works, so the expiry alone is what refuses the other.
    assert.equal((await listClients(sign(tempting()))).status, 200);
    await expectRejectedEverywhere(sign({ ...tempting(), iat: now - 1200, exp: now - 600 }));
  });

  it('should reject a revoked token', async () => {
    const token = await server.clientCredentialsToken(admin.client_id, admin.client_secret);
    assert.equal((await listClients(token)).status, 200);
    assert.equal((await revoke(token, admin)).status, 200);
    await expectRejectedEverywhere(token);
  });

  // Revocation and introspection (RFC 7009, RFC 7662)

  it('should refuse to revoke another client token with 400 unauthorized_client', async () => {
    const token = await server.clientCredentialsToken(api.client_id, api.client_secret);
    await expectOAuthError(await revoke(token, other), 400, 'unauthorized_client');
    assert.equal(((await (await introspect(token)).json()) as { active: boolean }).active, true, 'the token is still active');
  });

  it('should answer 200 to the revocation of garbage', async () => {
    for (const token of ['garbage', 'a.b.c', `${base64url({ alg: 'ES256' })}.${base64url({})}.sig`]) {
      const response = await revoke(token, api);
      assert.equal(response.status, 200);
    }
  });

  it('should refuse introspection to a public client with 401 invalid_client', async () => {
    const response = await introspect(adminToken, web);
    await expectOAuthError(response, 401, 'invalid_client');
  });

  // Rate limiting

  it('should answer the sixth token request in a minute with 429 and Retry-After when the limit is 5', async () => {
    const limited = await startTestServer({ database, env: { GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '5' } });
    try {
      const attempt = () =>
        fetch(`${limited.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: basic('someone', 'secret') },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
      for (let i = 1; i <= 5; i++) await expectOAuthError(await attempt(), 401, 'invalid_client');
      const refused = await attempt();
      await expectOAuthError(refused, 429, 'rate_limited');
      // The sliding-window estimate may ask for up to two windows, never less than a second.
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120, `Retry-After ${retryAfter}`);
    } finally {
      await limited.stop();
    }
  });
});
