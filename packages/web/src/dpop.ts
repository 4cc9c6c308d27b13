import { base64url } from './encoding.js';
import type { GuestpassStorage } from './storage.js';

/**
 * DPoP (RFC 9449) with an ECDSA P-256 key pair made by WebCrypto as non-extractable: script
 * can sign with the private key but never read it, so an XSS can use the session only while
 * it runs, not carry the key away. The pair itself is kept in storage (IndexedDB clones a
 * CryptoKey without exporting it) so the bound session survives reloads.
 */
export interface DpopSigner {
  /** A proof for one request (§4.2); `accessToken` adds `ath` (§7.1). */
  proof(method: string, url: string, accessToken?: string): Promise<string>;
  /** Remembers the server's `DPoP-Nonce` (§8, §9) for the next proofs to that origin. */
  noteNonce(url: string, response: Response): boolean;
}

export async function loadOrCreateKeyPair(storage: GuestpassStorage, key: string): Promise<CryptoKeyPair> {
  const stored = (await storage.get(key)) as CryptoKeyPair | undefined;
  if (stored?.privateKey) return stored;
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  await storage.set(key, pair);
  return pair;
}

/**
 * Signs proofs with the pair `keyPair` gives. Only token requests made under the refresh lock
 * may create the pair, so two tabs never bind one session's tokens to two keys.
 */
export function dpopSigner(keyPair: () => Promise<CryptoKeyPair>, now: () => number): DpopSigner {
  const nonces = new Map<string, string>();
  return {
    async proof(method, url, accessToken) {
      const pair = await keyPair();
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
      const target = new URL(url);
      const claims = {
        jti: crypto.randomUUID(),
        htm: method.toUpperCase(),
        htu: target.origin + target.pathname,
        iat: Math.floor(now() / 1000),
        ...(nonces.has(target.origin) ? { nonce: nonces.get(target.origin) } : {}),
        ...(accessToken ? { ath: base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))) } : {}),
      };
      const input = `${base64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }))}.${base64url(JSON.stringify(claims))}`;
      // WebCrypto's ECDSA signature is r‖s, the form JWS uses (RFC 7518 §3.4).
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input));
      return `${input}.${base64url(signature)}`;
    },
    noteNonce(url, response) {
      const nonce = response.headers.get('dpop-nonce');
      const origin = new URL(url).origin;
      if (!nonce || nonces.get(origin) === nonce) return false;
      nonces.set(origin, nonce);
      return true;
    },
  };
}
