import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { rejectsWithIdTokenError, startOidcIssuer, type OidcIssuer } from '../../../test/helpers/oidc-issuer.js';
import type { TrustedIssuer } from './trusted-issuers.js';
import { IdTokenVerifier } from './verifier.js';

const seconds = () => Math.floor(Date.now() / 1000);

describe('IdTokenVerifier against a real OpenID Connect provider', () => {
  let provider: OidcIssuer;
  let other: OidcIssuer;
  let trusted: TrustedIssuer;
  let verifier: IdTokenVerifier;
  before(async () => {
    [provider, other] = await Promise.all([startOidcIssuer(), startOidcIssuer()]);
    trusted = { issuer: provider.issuer, audience: [provider.clientId], requireNonce: true };
    verifier = new IdTokenVerifier({ issuers: [trusted] });
  });
  after(() => Promise.all([provider.stop(), other.stop()]));

  it('verifies an ID token from an authorization-code sign-in and returns who signed in', async () => {
    const idToken = await provider.idTokenFor('alice', { nonce: 'nonce-1', email: 'alice@example.com' });
    const identity = await verifier.verify(idToken, { nonce: 'nonce-1' });
    assert.deepEqual(identity, { issuer: provider.issuer, subject: 'alice', email: 'alice@example.com', emailVerified: true });
  });

  it('fetches discovery and the JWKS once for many tokens of the same issuer', async () => {
    const requested: string[] = [];
    const counting: typeof fetch = (input, init) => {
      requested.push(new URL(input instanceof Request ? input.url : input).pathname);
      return fetch(input, init);
    };
    const cached = new IdTokenVerifier({ issuers: [trusted], fetch: counting });
    for (const sub of ['bob', 'carol', 'dave']) {
      const identity = await cached.verify(await provider.idTokenFor(sub, { nonce: sub }), { nonce: sub });
      assert.equal(identity.subject, sub);
    }
    assert.deepEqual(requested, ['/.well-known/openid-configuration', '/jwks']);
  });

  it('refuses a token addressed to another client', async () => {
    const elsewhere = new IdTokenVerifier({ issuers: [{ ...trusted, audience: ['some-other-client'] }] });
    await rejectsWithIdTokenError(elsewhere.verify(await provider.idTokenFor('alice', { nonce: 'n' }), { nonce: 'n' }), 'ID_TOKEN_AUDIENCE_MISMATCH');
  });

  it('requires azp to name our client when a token has several audiences (OIDC Core 3.1.3.7)', async () => {
    const claims = { iss: provider.issuer, sub: 'alice', aud: [provider.clientId, 'another-app'], nonce: 'n', iat: seconds(), exp: seconds() + 300 };
    await rejectsWithIdTokenError(verifier.verify(await provider.sign(claims), { nonce: 'n' }), 'ID_TOKEN_AUDIENCE_MISMATCH');
    await rejectsWithIdTokenError(verifier.verify(await provider.sign({ ...claims, azp: 'another-app' }), { nonce: 'n' }), 'ID_TOKEN_AUDIENCE_MISMATCH');
    const identity = await verifier.verify(await provider.sign({ ...claims, azp: provider.clientId }), { nonce: 'n' });
    assert.equal(identity.subject, 'alice');
  });

  it('refuses a token without a nonce, or with another one, when the issuer requires a nonce', async () => {
    const withNonce = await provider.idTokenFor('alice', { nonce: 'the-right-nonce' });
    await rejectsWithIdTokenError(verifier.verify(withNonce, {}), 'NONCE_REQUIRED');
    await rejectsWithIdTokenError(verifier.verify(withNonce, { nonce: 'the-wrong-nonce' }), 'NONCE_MISMATCH');
    await rejectsWithIdTokenError(verifier.verify(await provider.idTokenFor('alice'), { nonce: 'the-right-nonce' }), 'NONCE_MISMATCH');
  });

  it('checks a nonce whenever one is sent, even for an issuer that does not require it', async () => {
    const lenient = new IdTokenVerifier({ issuers: [{ ...trusted, requireNonce: false }] });
    assert.equal((await lenient.verify(await provider.idTokenFor('erin'), {})).subject, 'erin');
    await rejectsWithIdTokenError(lenient.verify(await provider.idTokenFor('erin', { nonce: 'a' }), { nonce: 'b' }), 'NONCE_MISMATCH');
  });

  it('refuses a token from an issuer that is not trusted', async () => {
    await rejectsWithIdTokenError(verifier.verify(await other.idTokenFor('mallory', { nonce: 'n' }), { nonce: 'n' }), 'ISSUER_NOT_TRUSTED');
  });

  it('refuses a token that claims a trusted issuer but is signed with another issuer’s key', async () => {
    const forged = await other.sign({ iss: provider.issuer, sub: 'alice', aud: provider.clientId, nonce: 'n', iat: seconds(), exp: seconds() + 300 });
    await rejectsWithIdTokenError(verifier.verify(forged, { nonce: 'n' }), 'ID_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses a token whose signature or payload was altered', async () => {
    const [header, payload, signature] = (await provider.idTokenFor('alice', { nonce: 'n' })).split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    await rejectsWithIdTokenError(verifier.verify(`${header}.${payload}.${flipped}`, { nonce: 'n' }), 'ID_TOKEN_SIGNATURE_INVALID');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'root' })).toString('base64url');
    await rejectsWithIdTokenError(verifier.verify(`${header}.${otherPayload}.${signature}`, { nonce: 'n' }), 'ID_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses HS256 and unsigned tokens whatever their key', async () => {
    const claims = { iss: provider.issuer, sub: 'alice', aud: provider.clientId, nonce: 'n', iat: seconds(), exp: seconds() + 300 };
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32));
    await rejectsWithIdTokenError(verifier.verify(hs256, { nonce: 'n' }), 'ID_TOKEN_SIGNATURE_INVALID');
    await rejectsWithIdTokenError(verifier.verify(new UnsecuredJWT(claims).encode(), { nonce: 'n' }), 'ID_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses an expired token, and accepts one within the clock tolerance', async () => {
    const idToken = await provider.idTokenFor('alice', { nonce: 'n' });
    const { exp } = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
    const late = new IdTokenVerifier({ issuers: [trusted], now: () => exp * 1000 + 61_000 });
    await rejectsWithIdTokenError(late.verify(idToken, { nonce: 'n' }), 'ID_TOKEN_EXPIRED');
    const skewed = new IdTokenVerifier({ issuers: [trusted], now: () => exp * 1000 + 30_000 });
    assert.equal((await skewed.verify(idToken, { nonce: 'n' })).subject, 'alice');
    const muchLater = new IdTokenVerifier({ issuers: [trusted], now: () => Date.now() + 365 * 24 * 3600_000 });
    await rejectsWithIdTokenError(muchLater.verify(idToken, { nonce: 'n' }), 'ID_TOKEN_EXPIRED');
  });

  it('refuses a token issued more than a day ago even if it has not expired', async () => {
    const old = await provider.sign({
      iss: provider.issuer,
      sub: 'alice',
      aud: provider.clientId,
      nonce: 'n',
      iat: seconds() - 2 * 86_400,
      exp: seconds() + 300,
    });
    await rejectsWithIdTokenError(verifier.verify(old, { nonce: 'n' }), 'ID_TOKEN_EXPIRED');
  });

  it('refuses a token without sub or iat, or issued in the future', async () => {
    const base = { iss: provider.issuer, aud: provider.clientId, nonce: 'n', exp: seconds() + 300 };
    await rejectsWithIdTokenError(verifier.verify(await provider.sign({ ...base, iat: seconds() }), { nonce: 'n' }), 'ID_TOKEN_CLAIMS_INVALID');
    await rejectsWithIdTokenError(verifier.verify(await provider.sign({ ...base, sub: 'alice' }), { nonce: 'n' }), 'ID_TOKEN_CLAIMS_INVALID');
    await rejectsWithIdTokenError(verifier.verify(await provider.sign({ ...base, sub: '', iat: seconds() }), { nonce: 'n' }), 'ID_TOKEN_CLAIMS_INVALID');
    await rejectsWithIdTokenError(
      verifier.verify(await provider.sign({ ...base, sub: 'alice', iat: seconds() + 600 }), { nonce: 'n' }),
      'ID_TOKEN_CLAIMS_INVALID',
    );
  });

  it('says emailVerified only when the issuer asserted it', async () => {
    const claims = { iss: provider.issuer, sub: 'frank', aud: provider.clientId, nonce: 'n', iat: seconds(), exp: seconds() + 300, email: 'frank@example.com' };
    assert.equal((await verifier.verify(await provider.sign(claims), { nonce: 'n' })).emailVerified, false);
    assert.equal((await verifier.verify(await provider.sign({ ...claims, email_verified: 'true' }), { nonce: 'n' })).emailVerified, false);
    const { emailVerified, email } = await verifier.verify(await provider.sign({ ...claims, email_verified: true }), { nonce: 'n' });
    assert.deepEqual({ emailVerified, email }, { emailVerified: true, email: 'frank@example.com' });
  });

  it('refuses what is not a signed JWT', async () => {
    for (const junk of ['', 'not-a-jwt', 'a.b.c', 'a.b.c.d.e', `${'x'.repeat(20_000)}.y.z`]) {
      await rejectsWithIdTokenError(verifier.verify(junk, { nonce: 'n' }), 'ID_TOKEN_MALFORMED');
    }
  });

  it('refuses every token when no issuer is configured', async () => {
    const off = new IdTokenVerifier({ issuers: [] });
    assert.equal(off.enabled, false);
    await rejectsWithIdTokenError(off.verify(await provider.idTokenFor('alice'), {}), 'LINKING_DISABLED');
  });
});
