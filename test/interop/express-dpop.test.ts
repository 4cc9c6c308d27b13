import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { auth } from 'express-oauth2-jwt-bearer';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { describeEachDatabase } from '../helpers/databases.js';
import { startExpressApi, type ExpressApi } from '../helpers/express-api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'https://api.example';

interface KeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

interface GuestTokens {
  access_token: string;
  token_type: string;
  user_id: string;
}

/**
 * A resource server that accepts only DPoP (RFC 9449 §7): `dpop.required` refuses Bearer
 * tokens, and `strict: true` demands RFC 9068 access tokens, which guest tokens are.
 */
function startResourceServer(issuer: string): Promise<ExpressApi> {
  return startExpressApi(auth({ issuerBaseURL: issuer, audience: AUDIENCE, strict: true, dpop: { enabled: true, required: true } }), (request, response) => {
    const cnf = request.auth?.payload['cnf'] as { jkt?: string } | undefined;
    response.json({ sub: request.auth?.payload.sub, jkt: cnf?.jkt });
  });
}

/** An RFC 9449 §4.2 proof; with `accessToken`, its `ath` (the base64url SHA-256 of the token). */
async function proofFor(keyPair: KeyPair, htm: string, htu: string, accessToken?: string): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  const ath = accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken, 'ascii').digest('base64url') };
  return new SignJWT({ jti: randomUUID(), htm, htu, ...ath }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(keyPair.privateKey);
}

describeEachDatabase('express-oauth2-jwt-bearer DPoP interop', (database) => {
  let server: TestServer;
  let issuer: string;
  let api: Awaited<ReturnType<typeof startResourceServer>>;
  let clientId: string;
  let keyPair: KeyPair;

  before(async () => {
    server = await startTestServer({ database });
    issuer = server.ctx.issuer.value;
    api = await startResourceServer(issuer);
    const created = await server.createClient(['--name', 'web', '--type', 'public', '--origin', 'http://localhost:3000', '--audience', AUDIENCE]);
    clientId = created.client_id;
    keyPair = await generateKeyPair('ES256');
  });
  after(async () => {
    await api.close();
    await server.stop();
  });

  const ordersUrl = () => `${api.url}/orders`;

  /** A guest session; with a key, bound to it by a proof at POST /anonymous/token. */
  async function guestTokens(key?: KeyPair): Promise<GuestTokens> {
    const url = `${issuer}/anonymous/token`;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { dpop: await proofFor(key, 'POST', url) } : {}) },
      body: JSON.stringify({ client_id: clientId }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as GuestTokens;
  }

  const getOrders = (headers: Record<string, string>) => fetch(ordersUrl(), { headers });
  const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

  it('accepts a DPoP-bound guest token with a proof for this URL and token', async () => {
    const tokens = await guestTokens(keyPair);
    assert.equal(tokens.token_type, 'DPoP');
    const response = await getOrders({ authorization: `DPoP ${tokens.access_token}`, dpop: await proofFor(keyPair, 'GET', ordersUrl(), tokens.access_token) });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { sub: tokens.user_id, jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256') });
  });

  it('answers 401 with a DPoP challenge to a request without any token', async () => {
    const response = await getOrders({});
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^DPoP algs="/);
  });

  it('refuses a DPoP-bound guest token sent without a proof', async () => {
    const tokens = await guestTokens(keyPair);
    const response = await getOrders({ authorization: `DPoP ${tokens.access_token}` });
    // express-oauth2-jwt-bearer answers a DPoP request without its proof as a malformed
    // request (400, RFC 6750 §3.1), with a DPoP challenge.
    assert.equal(response.status, 400);
    assert.match(response.headers.get('www-authenticate') ?? '', /^DPoP /);
  });

  it('refuses a DPoP-bound guest token whose proof was made by another key', async () => {
    const tokens = await guestTokens(keyPair);
    const other = await generateKeyPair('ES256');
    const response = await getOrders({ authorization: `DPoP ${tokens.access_token}`, dpop: await proofFor(other, 'GET', ordersUrl(), tokens.access_token) });
    assert.equal(response.status, 401);
    assert.equal(await errorOf(response), 'invalid_token');
  });

  it('refuses a proof made for the authorization server rather than this resource', async () => {
    const tokens = await guestTokens(keyPair);
    const response = await getOrders({
      authorization: `DPoP ${tokens.access_token}`,
      dpop: await proofFor(keyPair, 'GET', `${issuer}/orders`, tokens.access_token),
    });
    assert.equal(response.status, 400);
    assert.equal(await errorOf(response), 'invalid_dpop_proof');
  });

  it('refuses a plain Bearer guest token, and answers 401 when it comes dressed as DPoP with a proof', async () => {
    const tokens = await guestTokens();
    assert.equal(tokens.token_type, 'Bearer');
    // As a Bearer token: DPoP is required, so the library refuses the request as malformed
    // (400) before it reads the token.
    const asBearer = await getOrders({ authorization: `Bearer ${tokens.access_token}` });
    assert.equal(asBearer.status, 400);
    assert.match(asBearer.headers.get('www-authenticate') ?? '', /^DPoP /);
    // Dressed up as DPoP with a proof: the token has no cnf.jkt, so it is not bound to the key.
    const dressed = await getOrders({ authorization: `DPoP ${tokens.access_token}`, dpop: await proofFor(keyPair, 'GET', ordersUrl(), tokens.access_token) });
    assert.equal(dressed.status, 401);
    assert.equal(await errorOf(dressed), 'invalid_token');
  });
});
