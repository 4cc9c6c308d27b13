import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { describeEachDatabase } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AUDIENCES = ['https://orders.example.test', 'https://billing.example.test'];
/** GUESTPASS_ACCESS_TOKEN_TTL's default. */
const DEFAULT_TTL_SECONDS = 900;

describeEachDatabase('jose interop', (database) => {
  let server: TestServer;
  let issuer: string;
  let clientId: string;
  let clientSecret: string;

  before(async () => {
    server = await startTestServer({ database });
    issuer = server.ctx.issuer.value;
    const audienceFlags = AUDIENCES.flatMap((audience) => ['--audience', audience]);
    const created = await server.createClient([
      '--name',
      'jose',
      '--type',
      'confidential',
      '--scope',
      'orders:read',
      '--scope',
      'orders:write',
      ...audienceFlags,
    ]);
    clientId = created.client_id;
    clientSecret = created.client_secret!;
  });
  after(() => server.stop());

  const token = () => server.clientCredentialsToken(clientId, clientSecret);
  const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;
  const jwksUrl = () => new URL(`${issuer}/.well-known/jwks.json`);

  it('verifies an access token through the published JWKS, with the RFC 9068 claims', async () => {
    const startedAt = Math.floor(Date.now() / 1000);
    const { payload, protectedHeader } = await jwtVerify(await token(), createRemoteJWKSet(jwksUrl()), {
      issuer,
      audience: AUDIENCES[0]!,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.iss, issuer);
    assert.equal(payload.sub, clientId);
    assert.equal(payload['client_id'], clientId);
    // The first configured audience is the default `aud`, as a single string.
    assert.equal(payload.aud, AUDIENCES[0]);
    assert.equal(payload['scope'], 'orders:read orders:write');
    assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
    assert.ok(payload.iat! >= startedAt - 1 && payload.iat! <= Math.ceil(Date.now() / 1000));
    assert.equal(payload.exp! - payload.iat!, DEFAULT_TTL_SECONDS);
  });

  it('uses the issuer as the audience of a client without configured audiences', async () => {
    const plain = await server.createClient(['--name', 'no-audience', '--type', 'confidential']);
    const jwt = await server.clientCredentialsToken(plain.client_id, plain.client_secret!);
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(jwksUrl()), { issuer, audience: issuer, typ: 'at+jwt' });
    assert.equal(payload.aud, issuer);
    assert.equal(payload.sub, plain.client_id);
  });

  it('keeps tokens signed before a key rotation verifiable while signing new ones with the new key', async () => {
    const tokenA = await token();
    const kidA = kidOf(tokenA);
    // As `keys rotate --now` does, on this server's own keyring: it signs with the new key at once.
    await server.ctx.keyring.rotateSigningKey({ activationDelayMs: 0 });
    const tokenB = await token();
    const kidB = kidOf(tokenB);
    assert.ok(kidB);
    assert.notEqual(kidB, kidA, 'the server never signed with the rotated key');

    const jwks = (await (await fetch(jwksUrl())).json()) as JSONWebKeySet;
    const kids = jwks.keys.map((key) => key.kid);
    assert.ok(kids.includes(kidA), 'the retired key is still published');
    assert.ok(kids.includes(kidB), 'the new key is published');

    // A fresh JWKS cache, as a resource server that starts after the rotation would have.
    const options = { issuer, audience: AUDIENCES[0]!, typ: 'at+jwt' };
    const { protectedHeader: headerA } = await jwtVerify(tokenA, createRemoteJWKSet(jwksUrl()), options);
    assert.equal(headerA.kid, kidA);
    const { protectedHeader: headerB } = await jwtVerify(tokenB, createRemoteJWKSet(jwksUrl()), options);
    assert.equal(headerB.kid, kidB);
  });
});
