import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { GuestpassError } from '../shared/errors.js';
import { DpopNonces } from './nonce.js';
import { accessTokenHash } from './proof-claims.js';
import { DpopVerifier, type DpopVerifierOptions } from './proof.js';
import { MemoryDpopReplayStore } from './replay-cache.js';

const NOW = 1_700_000_000_000;
const IAT = NOW / 1000;
const HTU = 'https://as.example.com/token';
const SECRET = Buffer.alloc(32, 7);

interface TestKey {
  alg: 'ES256' | 'EdDSA';
  privateKey: KeyObject;
  jwk: JWK;
}

async function testKey(alg: TestKey['alg']): Promise<TestKey> {
  const { privateKey, publicKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { alg, privateKey, jwk: await exportJWK(publicKey) };
}

const es256 = await testKey('ES256');
const eddsa = await testKey('EdDSA');

interface ProofOverrides {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

function makeProof(key: TestKey, { header = {}, claims = {} }: ProofOverrides = {}): Promise<string> {
  const payload = { jti: randomUUID(), htm: 'POST', htu: HTU, iat: IAT, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header }).sign(key.privateKey);
}

/** For headers SignJWT refuses to produce (alg "none"). */
function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode({ jti: randomUUID(), htm: 'POST', htu: HTU, iat: IAT, ...claims })}.`;
}

function setup(options: Partial<DpopVerifierOptions> = {}) {
  const clock = { now: NOW };
  const now = () => clock.now;
  const nonces = new DpopNonces({ secret: SECRET, now });
  const verifier = new DpopVerifier({ replay: new MemoryDpopReplayStore({ now }), nonces, now, ...options });
  return { clock, nonces, verifier };
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<GuestpassError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof GuestpassError, `expected a GuestpassError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, pattern);
  return caught;
}

describe('DpopVerifier', () => {
  for (const key of [es256, eddsa]) {
    it(`accepts a valid ${key.alg} proof and returns its RFC 7638 thumbprint`, async () => {
      const { verifier } = setup();
      const { jkt } = await verifier.verify(await makeProof(key), { htm: 'POST', htu: HTU });
      assert.equal(jkt, await calculateJwkThumbprint(key.jwk, 'sha256'));
      // RFC 7638 §3.2–3.3 by hand: the required members in lexicographic order, no whitespace.
      const members =
        key.jwk.kty === 'EC' ? { crv: key.jwk.crv, kty: key.jwk.kty, x: key.jwk.x, y: key.jwk.y } : { crv: key.jwk.crv, kty: key.jwk.kty, x: key.jwk.x };
      assert.equal(jkt, createHash('sha256').update(JSON.stringify(members)).digest('base64url'));
    });
  }

  it('accepts ES384, RS256 and PS256 proofs, the other default algorithms', async () => {
    const { verifier } = setup();
    const pairs = [
      ['ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
      ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
      ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ] as const;
    for (const [alg, { privateKey, publicKey }] of pairs) {
      const jwk = await exportJWK(publicKey);
      const proof = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: HTU, iat: IAT })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
        .sign(privateKey);
      assert.equal((await verifier.verify(proof, { htm: 'POST', htu: HTU })).jkt, await calculateJwkThumbprint(jwk, 'sha256'), alg);
    }
  });

  it('rejects an RSA key shorter than 2048 bits', async () => {
    const { verifier } = setup();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    // Signed by hand: jose refuses to sign with a short key.
    const input = unsignedProof({ alg: 'RS256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) }).slice(0, -1);
    const proof = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /2048 bits/);
  });

  it('ignores the query and fragment of htu and normalizes scheme, host and default port', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256, { claims: { htu: 'HTTPS://AS.Example.com:443/token?ignored=1#frag' } });
    await verifier.verify(proof, { htm: 'POST', htu: 'https://as.example.com/token?client=x' });
  });

  it('rejects a proof with the wrong typ', async () => {
    const { verifier } = setup();
    await rejectsWith(verifier.verify(await makeProof(es256, { header: { typ: 'JWT' } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /typ "dpop\+jwt"/);
  });

  it('rejects a proof with alg none', async () => {
    const { verifier } = setup();
    const proof = unsignedProof({ alg: 'none', typ: 'dpop+jwt', jwk: es256.jwk });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /alg "none"/);
  });

  it('rejects a proof signed with HS256', async () => {
    const { verifier } = setup();
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: HTU, iat: IAT })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: es256.jwk })
      .sign(new Uint8Array(32).fill(1));
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /symmetric/);
  });

  it('rejects an alg outside the allow-list', async () => {
    const { verifier } = setup({ algorithms: ['ES256'] });
    await rejectsWith(verifier.verify(await makeProof(eddsa), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /one of ES256\./);
  });

  it('rejects a proof whose jwk header holds the private key', async () => {
    const { verifier } = setup();
    const privateJwk = await exportJWK(es256.privateKey);
    const proof = await makeProof(es256, { header: { jwk: privateJwk } });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /private/);
  });

  it('rejects a proof without a jwk header', async () => {
    const { verifier } = setup();
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: HTU, iat: IAT })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' })
      .sign(es256.privateKey);
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /jwk member/);
  });

  it('rejects a jwk whose key type does not fit the alg', async () => {
    const { verifier } = setup();
    const proof = await makeProof(eddsa, { header: { jwk: es256.jwk } });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /not a valid public key for alg EdDSA/);
  });

  it('rejects a proof whose signature was tampered with', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256);
    const signature = Buffer.from(proof.split('.')[2] ?? '', 'base64url');
    signature[0] = (signature[0] ?? 0) ^ 0xff;
    const tampered = `${proof.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
    await rejectsWith(verifier.verify(tampered, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /signature does not verify/);
  });

  it('rejects a proof signed by a key other than the one in its jwk header', async () => {
    const { verifier } = setup();
    const other = await testKey('ES256');
    const proof = await makeProof(es256, { header: { jwk: other.jwk } });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /signature does not verify/);
  });

  it('rejects anything but a single compact JWT', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256);
    for (const value of ['', 'not-a-jwt', `${proof}.${proof}`, `${proof} `]) {
      await rejectsWith(verifier.verify(value, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /single JWT/);
    }
  });

  it('rejects a proof without a usable jti', async () => {
    const { verifier } = setup();
    for (const jti of [undefined, '', 'x'.repeat(257), 42]) {
      await rejectsWith(verifier.verify(await makeProof(es256, { claims: { jti } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /jti/);
    }
  });

  it('rejects a proof made for another method', async () => {
    const { verifier } = setup();
    await rejectsWith(verifier.verify(await makeProof(es256, { claims: { htm: 'GET' } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /htm .*POST/);
  });

  it('rejects a proof made for another path', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256, { claims: { htu: 'https://as.example.com/revoke' } });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /htu .*https:\/\/as\.example\.com\/token/);
  });

  it('rejects a proof made for another host or scheme', async () => {
    const { verifier } = setup();
    for (const htu of ['https://evil.example.com/token', 'http://as.example.com/token', 'https://as.example.com:8443/token', 'not a url']) {
      await rejectsWith(verifier.verify(await makeProof(es256, { claims: { htu } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /htu/);
    }
  });

  it('rejects a proof whose iat is older than the leeway', async () => {
    const { verifier } = setup();
    await verifier.verify(await makeProof(es256, { claims: { iat: IAT - 60 } }), { htm: 'POST', htu: HTU });
    await rejectsWith(verifier.verify(await makeProof(es256, { claims: { iat: IAT - 61 } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /too old/);
  });

  it('rejects a proof whose iat is in the future beyond the leeway', async () => {
    const { verifier } = setup({ iatLeewaySeconds: 10 });
    await verifier.verify(await makeProof(es256, { claims: { iat: IAT + 10 } }), { htm: 'POST', htu: HTU });
    await rejectsWith(verifier.verify(await makeProof(es256, { claims: { iat: IAT + 11 } }), { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /future/);
  });

  it('rejects a proof replayed with the same jti', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256);
    await verifier.verify(proof, { htm: 'POST', htu: HTU });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU }), 'INVALID_DPOP_PROOF', /already used/);
  });

  it('keeps jti values of different keys apart', async () => {
    const { verifier } = setup();
    await verifier.verify(await makeProof(es256, { claims: { jti: 'same' } }), { htm: 'POST', htu: HTU });
    await verifier.verify(await makeProof(eddsa, { claims: { jti: 'same' } }), { htm: 'POST', htu: HTU });
  });

  it('accepts a proof whose ath is the hash of the access token', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256, { claims: { htm: 'GET', ath: accessTokenHash('token-1') } });
    await verifier.verify(proof, { htm: 'GET', htu: HTU, accessToken: 'token-1' });
  });

  it('rejects a proof whose ath belongs to another access token', async () => {
    const { verifier } = setup();
    const proof = await makeProof(es256, { claims: { ath: accessTokenHash('token-2') } });
    await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU, accessToken: 'token-1' }), 'INVALID_DPOP_PROOF', /ath claim does not match/);
  });

  it('rejects a proof without ath when an access token is sent', async () => {
    const { verifier } = setup();
    await rejectsWith(verifier.verify(await makeProof(es256), { htm: 'POST', htu: HTU, accessToken: 'token-1' }), 'INVALID_DPOP_PROOF', /needs an ath claim/);
  });

  it('asks for a nonce, with a DPoP-Nonce header, when one is required and missing', async () => {
    const { verifier, nonces } = setup();
    const error = await rejectsWith(verifier.verify(await makeProof(es256), { htm: 'POST', htu: HTU, requireNonce: true }), 'USE_DPOP_NONCE', /nonce/);
    assert.equal(error.status, 400);
    assert.equal(error.error, 'use_dpop_nonce');
    const nonce = error.headers['DPoP-Nonce'];
    assert.ok(nonce && nonces.isValid(nonce));
    await verifier.verify(await makeProof(es256, { claims: { nonce } }), { htm: 'POST', htu: HTU, requireNonce: true });
  });

  it('rejects a stale nonce with a fresh one, even when nonces are not required', async () => {
    const { verifier, nonces, clock } = setup();
    const stale = nonces.current();
    clock.now += 2 * 300_000;
    const proof = await makeProof(es256, { claims: { nonce: stale, iat: clock.now / 1000 } });
    for (const requireNonce of [true, false]) {
      const error = await rejectsWith(verifier.verify(proof, { htm: 'POST', htu: HTU, requireNonce }), 'USE_DPOP_NONCE', /expired or was not issued/);
      assert.equal(error.headers['DPoP-Nonce'], nonces.current());
      assert.notEqual(error.headers['DPoP-Nonce'], stale);
    }
  });

  it('rejects a proof whose key differs from the expected jkt', async () => {
    const { verifier } = setup();
    const bound = await calculateJwkThumbprint(eddsa.jwk, 'sha256');
    await rejectsWith(verifier.verify(await makeProof(es256), { htm: 'POST', htu: HTU, expectedJkt: bound }), 'INVALID_DPOP_PROOF', /does not match the key/);
    await verifier.verify(await makeProof(eddsa), { htm: 'POST', htu: HTU, expectedJkt: bound });
  });

  it('answers resource requests with 401 and a DPoP challenge', async () => {
    const { verifier } = setup({ algorithms: ['ES256', 'EdDSA'] });
    const invalid = await rejectsWith(
      verifier.verifyAtResource(await makeProof(es256), { htm: 'POST', htu: HTU, accessToken: 't' }),
      'INVALID_DPOP_PROOF_AT_RESOURCE',
      /ath/,
    );
    assert.equal(invalid.status, 401);
    assert.equal(invalid.headers['WWW-Authenticate'], 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"');
    const proof = await makeProof(es256, { claims: { ath: accessTokenHash('t') } });
    const nonce = await rejectsWith(
      verifier.verifyAtResource(proof, { htm: 'POST', htu: HTU, accessToken: 't', requireNonce: true }),
      'USE_DPOP_NONCE_AT_RESOURCE',
      /nonce/,
    );
    assert.equal(nonce.status, 401);
    assert.equal(nonce.headers['WWW-Authenticate'], 'DPoP error="use_dpop_nonce", algs="ES256 EdDSA"');
    assert.ok(nonce.headers['DPoP-Nonce']);
  });

  it('refuses to be configured with none or HMAC algorithms', () => {
    const nonces = new DpopNonces({ secret: SECRET });
    for (const algorithms of [['ES256', 'HS256'], ['none'], []]) {
      assert.throws(() => new DpopVerifier({ replay: new MemoryDpopReplayStore(), nonces, algorithms }), TypeError);
    }
  });
});
