import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { signCompactJws } from '../../../src/crypto/jws.js';
import { GuestpassAuthError, verifyAccessToken, type VerifyOptions } from '../src/index.js';
import { AUDIENCE, countingJwks, dpopProof, type Issuer, newKey, startIssuer } from './guestpass.js';

/** The refusal a promise ends with, for comparing its code, status and challenge. */
async function refusal(promise: Promise<unknown>): Promise<GuestpassAuthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GuestpassAuthError) return error;
    throw error;
  }
  assert.fail('the token was accepted');
}

describe('verifyAccessToken against a real Guestpass', () => {
  let gp: Issuer;
  let options: VerifyOptions;
  const API_URL = 'https://api.shop.test/cart';

  before(async () => {
    gp = await startIssuer();
    options = { issuer: gp.issuer, audience: AUDIENCE };
  });
  after(() => gp.stop());

  it('accepts a guest token and says who called, with its scopes and mapped claims', async () => {
    const guest = await gp.guest();
    await gp.setMetadata(guest.access_token, { currency: 'EUR' });
    const refreshed = await gp.refresh(guest.session_token);
    const auth = await verifyAccessToken<{ currency: string }>(refreshed.access_token, options);
    assert.equal(auth.sub, guest.user_id);
    assert.equal(auth.sid, guest.session_id);
    assert.equal(auth.is_anonymous, true);
    assert.equal(auth.client_id, gp.webClient);
    assert.deepEqual(auth.scopes, ['cart:write']);
    assert.deepEqual(auth.claims, { currency: 'EUR' });
    assert.equal(auth.jkt, undefined);
  });

  it('refuses a token issued for another audience', async () => {
    const { access_token } = await gp.guest();
    const error = await refusal(verifyAccessToken(access_token, { ...options, audience: 'https://billing.shop.test' }));
    assert.equal(error.code, 'WRONG_AUDIENCE');
    assert.equal(error.status, 401);
    assert.equal(error.headers['WWW-Authenticate'], 'Bearer realm="api", error="invalid_token"');
  });

  it('refuses an expired token', async () => {
    const { access_token } = await gp.guest();
    const { exp } = decodeJwt(access_token);
    const error = await refusal(verifyAccessToken(access_token, { ...options, now: () => (exp! + 6) * 1000 }));
    assert.equal(error.code, 'TOKEN_EXPIRED');
    assert.equal(error.toJSON().error, 'invalid_token');
  });

  it('refuses a JWT signed by the issuer whose typ is not at+jwt', async () => {
    const { access_token } = await gp.guest();
    const forged = signCompactJws(gp.server.ctx.keyring.signingKey, { typ: 'JWT' }, decodeJwt(access_token));
    const error = await refusal(verifyAccessToken(forged, options));
    assert.equal(error.code, 'INVALID_TOKEN');
    assert.match(error.message, /at\+jwt/);
  });

  it('refuses a token whose signature does not verify', async () => {
    const [a, b] = [(await gp.guest()).access_token, (await gp.guest()).access_token];
    const spliced = `${a.split('.').slice(0, 2).join('.')}.${b.split('.')[2]}`;
    const error = await refusal(verifyAccessToken(spliced, options));
    assert.equal(error.code, 'INVALID_TOKEN');
    assert.match(error.message, /signature/);
  });

  it('refuses a token from another issuer', async () => {
    const { access_token } = await gp.guest();
    const error = await refusal(
      verifyAccessToken(access_token, { ...options, issuer: 'https://other.example', jwks: { uri: `${gp.issuer}/.well-known/jwks.json` } }),
    );
    assert.equal(error.code, 'INVALID_TOKEN');
  });

  it('answers 503, not invalid_token, when the JWKS cannot be fetched', async () => {
    const { access_token } = await gp.guest();
    const error = await refusal(verifyAccessToken(access_token, { ...options, jwks: { uri: 'http://127.0.0.1:9/jwks.json', timeout: 500 } }));
    assert.equal(error.code, 'AUTHORIZATION_SERVER_UNAVAILABLE');
    assert.equal(error.status, 503);
  });

  describe('DPoP-bound tokens', () => {
    it('accepts a bound token with a proof by its key for this request', async () => {
      const key = await newKey();
      const guest = await gp.guest(key);
      assert.equal(guest.token_type, 'DPoP');
      const proof = await dpopProof(key, 'GET', API_URL, guest.access_token);
      const auth = await verifyAccessToken(guest.access_token, options, { scheme: 'DPoP', dpop: { proof, method: 'GET', url: `${API_URL}?page=2` } });
      assert.equal(auth.sub, guest.user_id);
      assert.ok(auth.jkt);
    });

    it('refuses a bound token without a proof, or sent as Bearer', async () => {
      const key = await newKey();
      const guest = await gp.guest(key);
      const noProof = await refusal(
        verifyAccessToken(guest.access_token, options, { scheme: 'DPoP', dpop: { proof: undefined, method: 'GET', url: API_URL } }),
      );
      assert.equal(noProof.error, 'invalid_dpop_proof');
      assert.match(noProof.headers['WWW-Authenticate']!, /^DPoP realm="api", error="invalid_dpop_proof", algs="ES256 /);
      const asBearer = await refusal(verifyAccessToken(guest.access_token, options));
      assert.equal(asBearer.code, 'TOKEN_BOUND_TO_DPOP');
    });

    it('refuses a proof by another key, for another URL or method, or replayed', async () => {
      const key = await newKey();
      const guest = await gp.guest(key);
      const present = (proof: string, method = 'GET') =>
        verifyAccessToken(guest.access_token, options, { scheme: 'DPoP', dpop: { proof, method, url: API_URL } });
      const otherKey = await refusal(present(await dpopProof(await newKey(), 'GET', API_URL, guest.access_token)));
      assert.match(otherKey.message, /another key/);
      const otherUrl = await refusal(present(await dpopProof(key, 'GET', `${gp.issuer}/cart`, guest.access_token)));
      assert.match(otherUrl.message, /htu/);
      const otherMethod = await refusal(present(await dpopProof(key, 'GET', API_URL, guest.access_token), 'POST'));
      assert.match(otherMethod.message, /htm/);
      const otherToken = await refusal(present(await dpopProof(key, 'GET', API_URL, 'another-token')));
      assert.match(otherToken.message, /ath/);
      const proof = await dpopProof(key, 'GET', API_URL, guest.access_token);
      await present(proof);
      const replayed = await refusal(present(proof));
      assert.match(replayed.message, /already used/);
    });

    it('refuses an unbound token dressed as DPoP, and any unbound token when DPoP is required', async () => {
      const guest = await gp.guest();
      const key = await newKey();
      const dressed = await refusal(
        verifyAccessToken(guest.access_token, options, {
          scheme: 'DPoP',
          dpop: { proof: await dpopProof(key, 'GET', API_URL, guest.access_token), method: 'GET', url: API_URL },
        }),
      );
      assert.equal(dressed.code, 'TOKEN_NOT_BOUND');
      const required = await refusal(verifyAccessToken(guest.access_token, { ...options, dpop: { required: true } }));
      assert.equal(required.code, 'DPOP_REQUIRED');
    });
  });

  it('refuses a token without a required scope with 403 insufficient_scope naming it', async () => {
    const { access_token } = await gp.guest();
    const error = await refusal(verifyAccessToken(access_token, { ...options, requiredScopes: ['cart:write', 'orders:read'] }));
    assert.equal(error.status, 403);
    assert.equal(error.error, 'insufficient_scope');
    assert.equal(error.headers['WWW-Authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="cart:write orders:read"');
  });

  describe('introspection', () => {
    it("refuses a revoked session's token that a signature check alone accepts", async () => {
      const guest = await gp.guest();
      await gp.logout(guest.access_token);
      assert.equal((await verifyAccessToken(guest.access_token, options)).sub, guest.user_id);
      const error = await refusal(verifyAccessToken(guest.access_token, { ...options, introspection: gp.introspection }));
      assert.equal(error.code, 'TOKEN_REVOKED');
    });

    it('reuses an active answer for cacheTtl seconds, then asks again and refuses the revoked token', async () => {
      let offset = 0;
      const clock = { ...options, now: () => Date.now() + offset, introspection: { ...gp.introspection, cacheTtl: 5 } };
      const guest = await gp.guest();
      await verifyAccessToken(guest.access_token, clock);
      await gp.logout(guest.access_token);
      offset = 4000;
      assert.equal((await verifyAccessToken(guest.access_token, clock)).sub, guest.user_id, 'accepted from the cached answer within cacheTtl');
      offset = 5500;
      assert.equal((await refusal(verifyAccessToken(guest.access_token, clock))).code, 'TOKEN_REVOKED');
    });

    it('answers 503 when its own client credentials are refused, and caches nothing', async () => {
      const { access_token } = await gp.guest();
      const wrong = { ...options, introspection: { ...gp.introspection, clientSecret: 'not-the-secret' } };
      const error = await refusal(verifyAccessToken(access_token, wrong));
      assert.equal(error.status, 503);
      assert.equal((await verifyAccessToken(access_token, { ...options, introspection: gp.introspection })).sub, decodeJwt(access_token).sub);
    });
  });

  // Last: it rotates the issuer's signing key, which the other cases' shared key set has not seen.
  it('fetches the JWKS again for a rotated key once the cooldown has passed, and not for every unknown kid', async () => {
    const jwks = await countingJwks(gp.issuer);
    try {
      // Two key sets of the same URI (the cache is per option set): one whose cooldown cannot
      // pass during the test, for the refusal within it, and one whose cooldown passes in a
      // moment, for the refetch after it. One set for both made the refusal depend on how fast
      // the machine ran: under load its short cooldown had passed before the refusal was asked.
      const patient = { ...options, jwks: { uri: jwks.uri, cooldown: 600_000 } };
      const rotating = { ...options, jwks: { uri: jwks.uri, cooldown: 300 } };
      const before = await gp.guest();
      await verifyAccessToken(before.access_token, patient);
      assert.equal(jwks.fetches(), 1);
      await verifyAccessToken((await gp.guest()).access_token, patient);
      assert.equal(jwks.fetches(), 1, 'a cached key set is reused');
      await verifyAccessToken(before.access_token, rotating);
      assert.equal(jwks.fetches(), 2);

      await gp.server.ctx.keyring.rotateSigningKey({ activationDelayMs: 0 });
      const after = await gp.guest();
      assert.notEqual(decodeJwt(after.access_token).jti, undefined);
      // Within the cooldown an unknown kid is refused without a fetch: forged kids cannot make
      // the API hammer the issuer.
      const early = await refusal(verifyAccessToken(after.access_token, patient));
      assert.equal(early.code, 'INVALID_TOKEN');
      assert.equal(jwks.fetches(), 2);
      await new Promise((resolve) => setTimeout(resolve, 350));
      const auth = await verifyAccessToken(after.access_token, rotating);
      assert.equal(auth.sub, after.user_id);
      assert.equal(jwks.fetches(), 3, 'one fetch for the rotation');
      await verifyAccessToken(before.access_token, rotating);
      assert.equal(jwks.fetches(), 3, 'the retired key is still in the refetched set');
    } finally {
      await jwks.close();
    }
  });
});
