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

/**
 * Compact JWS with node:crypto's synchronous signer. Access-token signing is the hottest
 * path in Guestpass; `npm run bench -- sign` compares this with jose's SignJWT (WebCrypto,
 * asynchronous) and is the reason for the choice. Verification stays with jose, which owns
 * the subtle parts (algorithm allow-lists, `typ`, claim checks).
 */
export function signCompactJws(key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encodedHeader = encodeHeader(key, header);
  const encodedPayload = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signingInput = `${encodedHeader}.${encodedPayload}`;
  const signature =
    key.alg === 'ES256'
      ? // JWS (RFC 7518 §3.4) wants the raw r||s form, not DER.
        cryptoSign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : cryptoSign(null, Buffer.from(signingInput), key.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}
