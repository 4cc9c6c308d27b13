import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { randomNonce } from './random-pool.js';

/**
 * Compact JWE with `alg: dir`, `enc: A256GCM` (RFC 7516, RFC 7518 §5.3), on node:crypto's
 * synchronous AES-GCM: sealing and opening session tokens sit on the guest-session hot path,
 * and jose's implementation is WebCrypto (asynchronous). The output is standard: the tests
 * check that jose's compactDecrypt opens what this seals, and the other way round.
 */

const ENC = 'A256GCM';

type JweKey = { kid: string; key: KeyObject };

/**
 * The encoded protected header and its bytes (the additional data), per key and `typ`: every
 * session token of a key has the same header, so it is encoded once, not on every seal.
 */
const encodedHeaders = new WeakMap<JweKey, Map<string, { text: string; bytes: Buffer }>>();

function encodeHeader(key: JweKey, header: Record<string, unknown>) {
  const text = Buffer.from(JSON.stringify({ ...header, alg: 'dir', enc: ENC, kid: key.kid })).toString('base64url');
  return { text, bytes: Buffer.from(text, 'ascii') };
}

function protectedHeader(key: JweKey, header: Record<string, unknown>) {
  const typ = header['typ'];
  if (typeof typ !== 'string' || Object.keys(header).length !== 1) return encodeHeader(key, header);
  let byTyp = encodedHeaders.get(key);
  if (!byTyp) encodedHeaders.set(key, (byTyp = new Map()));
  let encoded = byTyp.get(typ);
  if (encoded === undefined) byTyp.set(typ, (encoded = encodeHeader(key, header)));
  return encoded;
}

export function sealCompactJwe(key: JweKey, header: Record<string, unknown>, plaintext: string): string {
  const encodedHeader = protectedHeader(key, header);
  const iv = randomNonce();
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  // RFC 7516 §5.1 step 14: the additional authenticated data is the encoded protected header.
  cipher.setAAD(encodedHeader.bytes);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${encodedHeader.text}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

export interface OpenedJwe {
  header: Record<string, unknown>;
  plaintext: string;
}

/**
 * Opens a compact dir/A256GCM JWE with the key its `kid` names. Returns undefined for anything
 * malformed, for an unknown key and for a failed authentication tag, never saying which.
 */
export function openCompactJwe(token: string, keyFor: (kid: string) => KeyObject | undefined): OpenedJwe | undefined {
  const parts = token.split('.');
  if (parts.length !== 5 || parts[1] !== '') return undefined;
  const [encodedHeader, , encodedIv, encodedCiphertext, encodedTag] = parts as [string, string, string, string, string];
  try {
    const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header['alg'] !== 'dir' || header['enc'] !== ENC || typeof header['kid'] !== 'string' || header['zip'] !== undefined) return undefined;
    const key = keyFor(header['kid']);
    const iv = Buffer.from(encodedIv, 'base64url');
    const tag = Buffer.from(encodedTag, 'base64url');
    if (!key || iv.length !== 12 || tag.length !== 16) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(encodedHeader, 'ascii'));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(Buffer.from(encodedCiphertext, 'base64url')), decipher.final()]).toString('utf8');
    return { header, plaintext };
  } catch {
    return undefined;
  }
}
