import { sign as cryptoSign, type KeyObject } from 'node:crypto';

export type SigningAlg = 'ES256' | 'EdDSA';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

/** Encoded `{typ, alg, kid}` headers per key and typ: every access token of a key shares one. */
const encodedHeaders = new WeakMap<SigningKey, Map<string, string>>();

function encode(key: SigningKey, header: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ ...header, alg: key.alg, kid: key.kid })).toString('base64url');
}

function encodeHeader(key: SigningKey, header: Record<string, unknown>): string {
  const typ = header['typ'];
  if (typeof typ !== 'string' || Object.keys(header).length !== 1) return encode(key, header);
  let byTyp = encodedHeaders.get(key);
  if (!byTyp) encodedHeaders.set(key, (byTyp = new Map()));
  let encoded = byTyp.get(typ);
  if (encoded === undefined) byTyp.set(typ, (encoded = encode(key, header)));
  return encoded;
}

/** The JWS signing input, and the algorithm and key argument node:crypto's sign() takes for it. */
function prepare(key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>) {
  const signingInput = `${encodeHeader(key, header)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  // JWS (RFC 7518 §3.4) wants ES256's raw r||s form, not DER; Ed25519 takes no digest name.
  const algorithm = key.alg === 'ES256' ? 'sha256' : null;
  const signer = key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
  return { signingInput, algorithm, signer };
}

/**
 * Compact JWS with node:crypto's synchronous signer, for tools and tests that need a token at
 * once. The server signs with signCompactJwsOffThread. Verification stays with jose, which owns
 * the subtle parts (algorithm allow-lists, `typ`, claim checks).
 */
export function signCompactJws(key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const { signingInput, algorithm, signer } = prepare(key, header, payload);
  return `${signingInput}.${cryptoSign(algorithm, Buffer.from(signingInput), signer).toString('base64url')}`;
}

/**
 * The same JWS, signed on libuv's thread pool (node:crypto's sign() with a callback). An ES256
 * signature is the largest single cost of issuing a token (about 30 µs of a 200–400 µs request
 * on the 2-core machine); signed synchronously it holds the event loop, which is the server's
 * one busy core, while the pool's threads run on the cores the loop does not use. Handing a
 * signature over costs the loop about 7 µs under load; a lone request waits about 35 µs more.
 * `npm run bench -- sign` measures both, and jose's WebCrypto signer, which also signs off the
 * loop but spends more on the loop around it.
 */
export function signCompactJwsOffThread(key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
  const { signingInput, algorithm, signer } = prepare(key, header, payload);
  return new Promise((resolve, reject) => {
    cryptoSign(algorithm, Buffer.from(signingInput), signer, (error, signature) => {
      if (error) reject(error);
      else resolve(`${signingInput}.${signature.toString('base64url')}`);
    });
  });
}
