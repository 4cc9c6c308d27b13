import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The test server speaks plain http on 127.0.0.1; oauth4webapi refuses that unless told. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const AUDIENCE = 'https://api.example';

interface GuestTokens {
  access_token: string;
  token_type: string;
  session_token: string;
  refresh_token: string;
  user_id: string;
  session_id: string;
}

interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/**
 * An RFC 9449 §4.2 proof made by hand with jose: oauth4webapi signs proofs only for the
 * endpoints it knows, and POST /anonymous/token is Guestpass's own.
 */
async function joseProof(keyPair: oauth.CryptoKeyPair, htm: string, htu: string, nonce?: string): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  const claims = { jti: randomUUID(), htm, htu, ...(nonce ? { nonce } : {}) };
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(keyPair.privateKey);
}

/** Every DPoP failure below is one of these: an oauth4webapi error naming the OAuth error. */
function oauthErrorOf(error: unknown): { status: number; error: string | undefined } {
  if (error instanceof oauth.ResponseBodyError) return { status: error.status, error: error.error };
  if (error instanceof oauth.WWWAuthenticateChallengeError) return { status: error.status, error: error.cause[0]?.parameters.error };
  throw error;
}

describeEachDatabase('DPoP interop (oauth4webapi, jose)', (database) => {
  let server: TestServer;
  let issuer: string;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let keyPair: oauth.CryptoKeyPair;
  let thumbprint: string;
  let adminToken: string;
  /** The last DPoP-Nonce the server sent; hand-made proofs use it. */
  let latestNonce: string | undefined;

  before(async () => {
    // DPoP mechanics only: with the anomaly detector on, a proof from another key revokes the
    // session (test/anomaly-containment.test.ts covers that), which the refusal tests here do not expect.
    server = await startTestServer({ database, env: { GUESTPASS_DPOP_REQUIRE_NONCE: 'true', GUESTPASS_ANOMALY_DETECTION: 'false' } });
    issuer = server.ctx.issuer.value;
    const [created, admin] = await Promise.all([
      server.createClient(['--name', 'web', '--type', 'public', '--origin', 'http://localhost:3000', '--audience', AUDIENCE]),
      server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']),
    ]);
    client = { client_id: created.client_id };
    adminToken = await server.clientCredentialsToken(admin.client_id, admin.client_secret!);
    as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }));
    keyPair = await oauth.generateKeyPair('ES256');
    thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
  });
  after(() => server.stop());

  const anonymousTokenUrl = () => `${issuer}/anonymous/token`;
  const sessionUrl = () => new URL(`${issuer}/anonymous/session`);

  function postAnonymousToken(clientId: string, proof?: string): Promise<Response> {
    return fetch(anonymousTokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(proof ? { dpop: proof } : {}) },
      body: JSON.stringify({ client_id: clientId }),
    });
  }

  /** POST /anonymous/token with a jose proof; on use_dpop_nonce, once more with the server's nonce (RFC 9449 §8). */
  async function createBoundSession(key: oauth.CryptoKeyPair, clientId = client.client_id): Promise<GuestTokens> {
    let response = await postAnonymousToken(clientId, await joseProof(key, 'POST', anonymousTokenUrl(), latestNonce));
    latestNonce = response.headers.get('dpop-nonce') ?? latestNonce;
    if (response.status === 400 && ((await response.clone().json()) as OAuthErrorBody).error === 'use_dpop_nonce') {
      response = await postAnonymousToken(clientId, await joseProof(key, 'POST', anonymousTokenUrl(), latestNonce));
      latestNonce = response.headers.get('dpop-nonce') ?? latestNonce;
    }
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as GuestTokens;
  }

  /** oauth4webapi's refresh, retried once on use_dpop_nonce as its documentation shows; the handle caches the nonce. */
  async function refresh(refreshToken: string, DPoP?: oauth.DPoPHandle): Promise<oauth.TokenEndpointResponse> {
    const attempt = async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, { ...insecure, ...(DPoP ? { DPoP } : {}) }),
      );
    try {
      return await attempt();
    } catch (error) {
      if (oauth.isDPoPNonceError(error)) return attempt();
      throw error;
    }
  }

  /** GET /anonymous/session through oauth4webapi, retried once on a use_dpop_nonce challenge. */
  async function readSession(accessToken: string, DPoP: oauth.DPoPHandle): Promise<Response> {
    const attempt = () => oauth.protectedResourceRequest(accessToken, 'GET', sessionUrl(), undefined, null, { ...insecure, DPoP });
    try {
      return await attempt();
    } catch (error) {
      if (oauth.isDPoPNonceError(error)) return attempt();
      throw error;
    }
  }

  async function verifiedClaims(accessToken: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), {
      issuer,
      audience: AUDIENCE,
      typ: 'at+jwt',
    });
    return payload;
  }

  it('asks for a nonce, then creates a DPoP-bound guest session from a jose proof', async () => {
    const first = await postAnonymousToken(client.client_id, await joseProof(keyPair, 'POST', anonymousTokenUrl()));
    assert.equal(first.status, 400);
    assert.equal(((await first.json()) as OAuthErrorBody).error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'the use_dpop_nonce answer carries a DPoP-Nonce header');

    const second = await postAnonymousToken(client.client_id, await joseProof(keyPair, 'POST', anonymousTokenUrl(), nonce));
    assert.equal(second.status, 200, await second.clone().text());
    assert.ok(second.headers.get('dpop-nonce'), 'a successful token response advertises the next nonce');
    const tokens = (await second.json()) as GuestTokens;
    assert.equal(tokens.token_type, 'DPoP');
    assert.equal(tokens.refresh_token, tokens.session_token);
    const claims = await verifiedClaims(tokens.access_token);
    assert.deepEqual(claims['cnf'], { jkt: thumbprint });
    assert.equal(claims.sub, tokens.user_id);
    assert.equal(claims['sid'], tokens.session_id);
    assert.equal(claims['is_anonymous'], true);
  });

  it('refreshes the bound session with oauth4webapi after a use_dpop_nonce retry, keeping the binding', async () => {
    const created = await createBoundSession(keyPair);
    // A fresh handle has no nonce cached, so its first proof must be refused.
    const DPoP = oauth.DPoP(client, keyPair);
    assert.equal(await DPoP.calculateThumbprint(), thumbprint);
    const request = () => oauth.refreshTokenGrantRequest(as, client, oauth.None(), created.session_token, { ...insecure, DPoP });
    await assert.rejects(oauth.processRefreshTokenResponse(as, client, await request()), (error: unknown) => {
      assert.ok(oauth.isDPoPNonceError(error), String(error));
      assert.equal(oauthErrorOf(error).status, 400);
      return true;
    });

    const tokens = await oauth.processRefreshTokenResponse(as, client, await request());
    assert.equal(tokens.token_type, 'dpop', 'oauth4webapi lower-cases token_type; the server sent DPoP');
    assert.ok(tokens.refresh_token && tokens.refresh_token !== created.session_token, 'the session token rotated');
    assert.equal(tokens['session_id'], created.session_id);
    const claims = await verifiedClaims(tokens.access_token);
    assert.deepEqual(claims['cnf'], { jkt: thumbprint });
    assert.equal(claims.sub, created.user_id);

    // The rotated token is still bound: the same key refreshes it again.
    const again = await refresh(tokens.refresh_token, DPoP);
    assert.equal(again.token_type, 'dpop');
  });

  it('refuses to refresh a bound session with another key or without a proof, and keeps the session', async () => {
    const created = await createBoundSession(keyPair);
    const otherKey = await oauth.generateKeyPair('ES256');
    await assert.rejects(refresh(created.session_token, oauth.DPoP(client, otherKey)), (error: unknown) => {
      const { status, error: code } = oauthErrorOf(error);
      assert.equal(status, 400);
      assert.ok(code === 'invalid_dpop_proof' || code === 'invalid_grant', `unexpected error ${code}`);
      return true;
    });
    await assert.rejects(refresh(created.session_token), (error: unknown) => {
      const { status, error: code } = oauthErrorOf(error);
      assert.equal(status, 400);
      assert.equal(code, 'invalid_dpop_proof');
      return true;
    });

    // Neither refusal rotated or revoked anything: the right key still refreshes that token.
    const tokens = await refresh(created.session_token, oauth.DPoP(client, keyPair));
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual((await verifiedClaims(tokens.access_token))['cnf'], { jkt: thumbprint });
  });

  it('serves GET /anonymous/session to a DPoP token and proof with ath, after a use_dpop_nonce challenge', async () => {
    const created = await createBoundSession(keyPair);
    const DPoP = oauth.DPoP(client, keyPair);
    const attempt = () => oauth.protectedResourceRequest(created.access_token, 'GET', sessionUrl(), undefined, null, { ...insecure, DPoP });
    await assert.rejects(attempt(), (error: unknown) => {
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, String(error));
      assert.ok(oauth.isDPoPNonceError(error));
      assert.equal(error.status, 401);
      assert.match(error.response.headers.get('www-authenticate') ?? '', /^DPoP error="use_dpop_nonce"/);
      assert.ok(error.response.headers.get('dpop-nonce'));
      return true;
    });

    const response = await attempt();
    assert.equal(response.status, 200);
    const view = (await response.json()) as { user_id: string; session_id: string; is_anonymous: boolean };
    assert.equal(view.user_id, created.user_id);
    assert.equal(view.session_id, created.session_id);
    assert.equal(view.is_anonymous, true);
  });

  it('answers 401 to the DPoP-bound token sent as a Bearer token', async () => {
    const created = await createBoundSession(keyPair);
    const response = await fetch(sessionUrl(), { headers: { authorization: `Bearer ${created.access_token}` } });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as OAuthErrorBody).error, 'invalid_token');
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('answers 401 with a DPoP challenge to a proof without ath', async () => {
    const created = await createBoundSession(keyPair);
    const proof = await joseProof(keyPair, 'GET', sessionUrl().href, latestNonce);
    const response = await fetch(sessionUrl(), { headers: { authorization: `DPoP ${created.access_token}`, dpop: proof } });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as OAuthErrorBody).error, 'invalid_dpop_proof');
    assert.match(response.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_dpop_proof", algs="[^"]*ES256/);
  });

  it('answers 401 to a resource proof made with a key other than the bound one', async () => {
    const created = await createBoundSession(keyPair);
    const otherKey = await oauth.generateKeyPair('ES256');
    await assert.rejects(readSession(created.access_token, oauth.DPoP(client, otherKey)), (error: unknown) => {
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.cause[0]?.scheme, 'dpop');
      assert.equal(error.cause[0]?.parameters.error, 'invalid_dpop_proof');
      return true;
    });
  });

  it('refuses a guest session without a proof once the client requires DPoP', async () => {
    const adminApi = (path: string, method: string, body: unknown) =>
      fetch(`${issuer}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = await adminApi('/admin/api/clients', 'POST', {
      name: 'strict web',
      type: 'public',
      allowed_origins: ['http://localhost:3000'],
      audiences: [AUDIENCE],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const strict = (await created.json()) as { client_id: string };
    const patched = await adminApi(`/admin/api/clients/${strict.client_id}`, 'PATCH', { guest: { require_dpop: true } });
    assert.equal(patched.status, 200, await patched.clone().text());
    assert.equal(((await patched.json()) as { guest: { require_dpop: boolean } }).guest.require_dpop, true);

    const refused = await postAnonymousToken(strict.client_id);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as OAuthErrorBody).error, 'invalid_dpop_proof');

    const tokens = await createBoundSession(keyPair, strict.client_id);
    assert.equal(tokens.token_type, 'DPoP');
  });
});
