import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { rejectsWithIdTokenError, startOidcIssuer } from '../../../test/helpers/oidc-issuer.js';
import type { TrustedIssuer } from './trusted-issuers.js';
import { IdTokenVerifier } from './verifier.js';

const seconds = () => Math.floor(Date.now() / 1000);

/** A stand-in issuer on loopback whose answers each test chooses; counts the requests it gets. */
async function fakeIssuer(handler: (url: string, request: IncomingMessage, response: ServerResponse) => void) {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    handler(url, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits: () => hits,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const sendJson = (response: ServerResponse, body: unknown, status = 200) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** A loopback URL nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const { url, stop } = await fakeIssuer(() => {});
  await stop();
  return url;
}

/** Any JWT naming `iss`: these tests fail before its signature is looked at. */
const tokenFrom = (iss: string) => new UnsecuredJWT({ iss, sub: 'alice', aud: 'app' }).encode();
const lenient = (issuer: string): TrustedIssuer => ({ issuer, audience: ['app'], requireNonce: false });

describe('IdTokenVerifier discovery', () => {
  it('refuses an issuer whose discovery document names another issuer (Discovery 4.3)', async () => {
    const fake = await fakeIssuer((url, _request, response) =>
      sendJson(response, { issuer: 'https://accounts.example.com', jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }),
    );
    try {
      const error = await rejectsWithIdTokenError(
        new IdTokenVerifier({ issuers: [lenient(fake.url)] }).verify(tokenFrom(fake.url), {}),
        'ISSUER_MISCONFIGURED',
      );
      assert.equal(error.status, 502);
      assert.doesNotMatch(JSON.stringify(error.toJSON()), /accounts\.example\.com/, 'the reason stays in the logs');
    } finally {
      await fake.stop();
    }
  });

  it('refuses a discovery document with only symmetric algorithms or a plain-http jwks_uri', async () => {
    const documents = [
      (url: string) => ({ issuer: url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['HS256', 'none'] }),
      (url: string) => ({ issuer: url, jwks_uri: `${url}/jwks` }),
      (url: string) => ({ issuer: url, jwks_uri: 'http://keys.example.com/jwks', id_token_signing_alg_values_supported: ['RS256'] }),
    ];
    for (const document of documents) {
      const fake = await fakeIssuer((url, _request, response) => sendJson(response, document(url)));
      try {
        await rejectsWithIdTokenError(new IdTokenVerifier({ issuers: [lenient(fake.url)] }).verify(tokenFrom(fake.url), {}), 'ISSUER_MISCONFIGURED');
      } finally {
        await fake.stop();
      }
    }
  });

  it('answers ISSUER_UNAVAILABLE with Retry-After when the issuer cannot be reached', async () => {
    const url = await closedPortUrl();
    const error = await rejectsWithIdTokenError(new IdTokenVerifier({ issuers: [lenient(url)] }).verify(tokenFrom(url), {}), 'ISSUER_UNAVAILABLE');
    assert.equal(error.status, 503);
    assert.equal(error.headers['Retry-After'], '10');
  });

  it('does not ask a failing issuer again until the back-off has passed', async () => {
    const fake = await fakeIssuer((_url, _request, response) => sendJson(response, { error: 'down' }, 500));
    let clock = Date.now();
    const verifier = new IdTokenVerifier({ issuers: [lenient(fake.url)], now: () => clock });
    try {
      await rejectsWithIdTokenError(verifier.verify(tokenFrom(fake.url), {}), 'ISSUER_UNAVAILABLE');
      clock += 4_000;
      const again = await rejectsWithIdTokenError(verifier.verify(tokenFrom(fake.url), {}), 'ISSUER_UNAVAILABLE');
      assert.equal(again.headers['Retry-After'], '6');
      assert.equal(fake.hits(), 1, 'the second failure came from the back-off, not from the issuer');
      clock += 6_000;
      await rejectsWithIdTokenError(verifier.verify(tokenFrom(fake.url), {}), 'ISSUER_UNAVAILABLE');
      assert.equal(fake.hits(), 2);
    } finally {
      await fake.stop();
    }
  });

  it('refuses an oversized or redirected discovery document', async () => {
    const handlers = [
      (url: string, _request: IncomingMessage, response: ServerResponse) =>
        sendJson(response, { issuer: url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['RS256'], padding: 'x'.repeat(300 * 1024) }),
      // Followed, the redirect would lead to a valid document (and the unsigned token's own error).
      (url: string, request: IncomingMessage, response: ServerResponse) => {
        if (request.url === '/moved') return sendJson(response, { issuer: url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
        response.writeHead(302, { location: '/moved' });
        response.end();
      },
    ];
    for (const handler of handlers) {
      const fake = await fakeIssuer(handler);
      try {
        await rejectsWithIdTokenError(new IdTokenVerifier({ issuers: [lenient(fake.url)] }).verify(tokenFrom(fake.url), {}), 'ISSUER_UNAVAILABLE');
      } finally {
        await fake.stop();
      }
    }
  });

  it('answers ISSUER_UNAVAILABLE when the JWKS is unreachable or oversized', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const key = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256', use: 'sig' };
    const keysAt = await closedPortUrl();
    for (const jwksUri of [(_url: string) => `${keysAt}/jwks`, (url: string) => `${url}/jwks`]) {
      const fake = await fakeIssuer((url, request, response) => {
        if (request.url === '/jwks') return sendJson(response, { keys: [key, ...Array.from({ length: 3000 }, (_, i) => ({ ...key, kid: `padding-${i}` }))] });
        sendJson(response, { issuer: url, jwks_uri: jwksUri(url), id_token_signing_alg_values_supported: ['ES256'] });
      });
      try {
        const idToken = await new SignJWT({ sub: 'alice' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k' })
          .setIssuer(fake.url)
          .setAudience('app')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        await rejectsWithIdTokenError(new IdTokenVerifier({ issuers: [lenient(fake.url)] }).verify(idToken, {}), 'ISSUER_UNAVAILABLE');
      } finally {
        await fake.stop();
      }
    }
  });

  it('drops the terminating slash of an issuer before the well-known suffix (Discovery 4)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256', use: 'sig' }] };
    const fake = await fakeIssuer((url, request, response) => {
      if (request.url === '/.well-known/openid-configuration')
        sendJson(response, { issuer: `${url}/`, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['ES256'] });
      else if (request.url === '/jwks') sendJson(response, jwks);
      else sendJson(response, { error: 'not_found' }, 404);
    });
    try {
      const issuer = `${fake.url}/`;
      const idToken = await new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer(issuer)
        .setAudience('app')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      assert.equal((await new IdTokenVerifier({ issuers: [lenient(issuer)] }).verify(idToken, {})).issuer, issuer);
    } finally {
      await fake.stop();
    }
  });

  it('keeps using the keys it has while a refresh of discovery fails', async () => {
    const provider = await startOidcIssuer();
    let issuerDown = false;
    // The network to the issuer fails as undici does, once the test says so.
    const network: typeof fetch = (input, init) => (issuerDown ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init));
    let clock = Date.now();
    const trusted = { issuer: provider.issuer, audience: [provider.clientId], requireNonce: false };
    try {
      const idToken = await provider.sign({ iss: provider.issuer, sub: 'alice', aud: provider.clientId, iat: seconds(), exp: seconds() + 3 * 3600 });
      const verifier = new IdTokenVerifier({ issuers: [trusted], fetch: network, now: () => clock });
      await verifier.verify(idToken, {});
      issuerDown = true;
      clock += 61 * 60_000;
      assert.equal((await verifier.verify(idToken, {})).subject, 'alice', 'the discovery cache expired, but the last good keys still serve');
      await rejectsWithIdTokenError(new IdTokenVerifier({ issuers: [trusted], fetch: network }).verify(idToken, {}), 'ISSUER_UNAVAILABLE');
    } finally {
      await provider.stop();
    }
  });
});
