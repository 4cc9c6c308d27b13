import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { signCompactJws } from '../src/crypto/jws.js';
import { accessTokenHash } from '../src/dpop/proof-claims.js';
import { describeEachDatabase } from './helpers/databases.js';
import { claimsOf, GuestAdmin, json, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const METRICS_TOKEN = 'metrics-token-of-forty-characters-000000';

interface ProofKey {
  privateKey: CryptoKey;
  jwk: Awaited<ReturnType<typeof exportJWK>>;
  jkt: string;
}

async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

/** An RFC 9449 §4.2 proof; with an access token it carries `ath` (§4.3), as a resource needs. */
function proof(key: ProofKey, htm: string, htu: string, accessToken?: string): Promise<string> {
  const claims = { jti: randomUUID(), htm, htu, ...(accessToken ? { ath: accessTokenHash(accessToken) } : {}) };
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }).setIssuedAt().sign(key.privateKey);
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describeEachDatabase('hardening: DPoP on client_credentials, future iat, CORS preflight errors', (database) => {
  let server: TestServer;
  let admin: { id: string; secret: string };
  let issuer: string;

  before(async () => {
    server = await startTestServer({ database });
    issuer = server.ctx.issuer.value;
    const created = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    admin = { id: created.client_id, secret: created.client_secret! };
    await new GuestAdmin(server).publicClient();
  });
  after(() => server.stop());

  const clientCredentials = async (dpop?: string) =>
    json(
      await fetch(`${issuer}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(admin.id, admin.secret), ...(dpop ? { dpop } : {}) },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      }),
    );
  const introspect = async (token: string) =>
    json(
      await fetch(`${issuer}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: basic(admin.id, admin.secret) },
        body: new URLSearchParams({ token }),
      }),
    );
  const listClients = (headers: Record<string, string>) => fetch(`${issuer}/admin/api/clients`, { headers });

  it('binds a client_credentials token to the key of the DPoP proof sent with the request (RFC 9449 §5)', async () => {
    const key = await proofKey();
    const issued = await clientCredentials(await proof(key, 'POST', `${issuer}/oauth/token`));
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body['token_type'], 'DPoP');
    const token = issued.body['access_token'] as string;
    assert.deepEqual(claimsOf(token)['cnf'], { jkt: key.jkt });

    const seen = await introspect(token);
    assert.equal(seen.body['active'], true);
    assert.equal(seen.body['token_type'], 'DPoP');
    assert.deepEqual(seen.body['cnf'], { jkt: key.jkt });

    // Bound: as a plain bearer token it is refused; with a proof from the key it works, from another key it does not.
    assert.equal((await listClients({ authorization: `Bearer ${token}` })).status, 401);
    const url = `${issuer}/admin/api/clients`;
    const stranger = await listClients({ authorization: `DPoP ${token}`, dpop: await proof(await proofKey(), 'GET', url, token) });
    assert.equal(stranger.status, 401);
    const owner = await listClients({ authorization: `DPoP ${token}`, dpop: await proof(key, 'GET', url, token) });
    assert.equal(owner.status, 200, await owner.text());
  });

  it('still issues a plain Bearer token when the client_credentials request carries no proof, and refuses a bad proof', async () => {
    const plain = await clientCredentials();
    assert.equal(plain.body['token_type'], 'Bearer');
    assert.equal(claimsOf(plain.body['access_token'] as string)['cnf'], undefined);

    const wrongUrl = await clientCredentials(await proof(await proofKey(), 'POST', `${issuer}/oauth/revoke`));
    assert.equal(wrongUrl.status, 400);
    assert.equal(wrongUrl.body['error'], 'invalid_dpop_proof');
  });

  it('refuses an access token whose iat is further in the future than the clock-skew allowance', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    // Signed with the server's own key, as a node with a clock ten minutes fast would.
    const mint = (iat: number) =>
      signCompactJws(
        server.ctx.keyring.signingKey,
        { typ: 'at+jwt' },
        { iss: issuer, sub: admin.id, aud: issuer, client_id: admin.id, scope: 'admin:read', jti: randomUUID(), iat, exp: iat + 900 },
      );
    const future = mint(nowSeconds + 600);
    assert.deepEqual((await introspect(future)).body, { active: false });
    const refused = await listClients({ authorization: `Bearer ${future}` });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_token');

    // Within the allowance (60 s) a token is still good.
    const slightlyAhead = mint(nowSeconds + 20);
    assert.equal((await introspect(slightlyAhead)).body['active'], true);
    assert.equal((await listClients({ authorization: `Bearer ${slightlyAhead}` })).status, 200);
  });

  const preflight = (headers: Record<string, string>) => fetch(`${issuer}/anonymous/token`, { method: 'OPTIONS', headers });
  const expectJsonError = async (response: Response, status: number, error: string) => {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.equal(body['error'], error);
    assert.equal(response.headers.get('access-control-allow-origin'), null, 'a refused preflight grants nothing');
    return body['error_description'] as string;
  };

  it('answers a CORS preflight from an origin no client allows with an RFC 6749 error object', async () => {
    const description = await expectJsonError(
      await preflight({ origin: 'https://evil.example', 'access-control-request-method': 'POST' }),
      403,
      'access_denied',
    );
    assert.match(description, /allowed_origins/);
  });

  it('answers a CORS preflight for a method or header Guestpass does not accept with an RFC 6749 error object', async () => {
    assert.match(await expectJsonError(await preflight({ origin: ORIGIN, 'access-control-request-method': 'PUT' }), 403, 'invalid_request'), /PATCH, DELETE/);
    const header = preflight({ origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-tracking-id' });
    assert.match(await expectJsonError(await header, 403, 'invalid_request'), /Authorization, Content-Type, DPoP, If-Match/);
    // Not text/plain "Invalid Preflight Request" any more.
    await expectJsonError(await preflight({ origin: ORIGIN }), 400, 'invalid_request');

    const accepted = await preflight({ origin: ORIGIN, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'Authorization, If-Match' });
    assert.equal(accepted.status, 204);
    assert.equal(accepted.headers.get('access-control-allow-origin'), ORIGIN);
  });
});

describe('hardening: /metrics behind a token or on its own listener', () => {
  describeEachDatabase('GUESTPASS_METRICS_TOKEN', (database) => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ database, env: { GUESTPASS_METRICS_TOKEN: METRICS_TOKEN } });
    });
    after(() => server.stop());

    it('refuses /metrics without the token, or with another, with 401, WWW-Authenticate and an error object', async () => {
      for (const authorization of [undefined, `Bearer ${METRICS_TOKEN.slice(0, -1)}x`, `Bearer ${METRICS_TOKEN}0`, `Basic ${METRICS_TOKEN}`]) {
        const response = await fetch(`${server.url}/metrics`, authorization ? { headers: { authorization } } : {});
        assert.equal(response.status, 401, authorization);
        assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="guestpass-metrics"/);
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body['error'], 'invalid_token');
        assert.equal(typeof body['error_description'], 'string');
        assert.doesNotMatch(JSON.stringify(body), /guestpass_http_requests_total/);
      }
      const allowed = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(allowed.status, 200);
      assert.match(await allowed.text(), /guestpass_http_requests_total/);
    });
  });

  describeEachDatabase('GUESTPASS_METRICS_ADDRESS', (database) => {
    let server: TestServer;
    let stopped = false;
    before(async () => {
      server = await startTestServer({ database, env: { GUESTPASS_METRICS_ADDRESS: '127.0.0.1:0' } });
    });
    after(async () => {
      if (!stopped) await server.stop();
    });

    it('serves /metrics on its own listener only, and closes that listener on shutdown', async () => {
      const metricsUrl = server.app.metricsUrl;
      assert.ok(metricsUrl && metricsUrl !== server.url, 'a listener of its own');
      await fetch(`${server.url}/healthz`);
      const onMain = await fetch(`${server.url}/metrics`);
      assert.equal(onMain.status, 404);
      assert.equal(((await onMain.json()) as { error: string }).error, 'not_found');

      const apart = await fetch(`${metricsUrl}/metrics`);
      assert.equal(apart.status, 200);
      assert.match(await apart.text(), /guestpass_http_requests_total\{route="\/healthz",method="GET",status="200"\} 1/);
      // Only /metrics there: the API is not reachable through the metrics port.
      assert.equal((await fetch(`${metricsUrl}/healthz`)).status, 404);

      await server.stop();
      stopped = true;
      await assert.rejects(fetch(`${metricsUrl}/metrics`), 'the metrics listener is closed with the server');
    });
  });
});
