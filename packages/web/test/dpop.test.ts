import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { dpopSigner, loadOrCreateKeyPair } from '../src/dpop.js';
import { send } from '../src/http.js';
import { memoryStorage } from '../src/storage.js';

const NOW = 1_700_000_000_000;

async function verified(proof: string) {
  const header = decodeProtectedHeader(proof) as { typ: string; alg: string; jwk: JWK };
  const { payload } = await compactVerify(proof, await importJWK(header.jwk, 'ES256'));
  return { header, claims: JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown> };
}

describe('dpopSigner', () => {
  it('should sign RFC 9449 proofs with a non-extractable P-256 key that stays the same', async () => {
    const storage = memoryStorage();
    const signer = dpopSigner(
      () => loadOrCreateKeyPair(storage, 'k'),
      () => NOW,
    );
    const { header, claims } = await verified(await signer.proof('post', 'https://gp.example/oauth/token?x=1#y', 'the-token'));
    assert.equal(header.typ, 'dpop+jwt');
    assert.equal(header.alg, 'ES256');
    assert.deepEqual(Object.keys(header.jwk).sort(), ['crv', 'kty', 'x', 'y'], 'the public key only');
    assert.equal(claims['htm'], 'POST');
    assert.equal(claims['htu'], 'https://gp.example/oauth/token', 'no query or fragment (§4.2)');
    assert.equal(claims['iat'], NOW / 1000);
    assert.equal(claims['ath'], createHash('sha256').update('the-token').digest('base64url'));
    const pair = (await storage.get('k')) as CryptoKeyPair;
    assert.equal(pair.privateKey.extractable, false);
    const again = await verified(await signer.proof('GET', 'https://gp.example/anonymous/session'));
    assert.equal(await calculateJwkThumbprint(again.header.jwk), await calculateJwkThumbprint(header.jwk));
    assert.equal(again.claims['ath'], undefined);
    assert.notEqual(again.claims['jti'], claims['jti']);
  });
});

describe('send', () => {
  it('should retry once with the nonce a server asks for (use_dpop_nonce)', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      const nonce = JSON.parse(Buffer.from(String(request.headers.dpop).split('.')[1]!, 'base64url').toString()).nonce as string | undefined;
      seen.push(nonce);
      if (nonce === 'n-1') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(400, { 'dpop-nonce': 'n-1', 'content-type': 'application/json' }).end('{"error":"use_dpop_nonce","error_description":"x"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
      const storage = memoryStorage();
      const signer = dpopSigner(
        () => loadOrCreateKeyPair(storage, 'k'),
        () => NOW,
      );
      const response = await send(new Request(url, { method: 'POST', body: 'a=1' }), signer);
      assert.equal(response.status, 200);
      assert.deepEqual(seen, [undefined, 'n-1']);
      assert.equal((await send(new Request(url, { method: 'POST', body: 'a=1' }), signer)).status, 200, 'the nonce is kept for later proofs');
      assert.deepEqual(seen, [undefined, 'n-1', 'n-1']);
    } finally {
      server.close();
    }
  });
});
