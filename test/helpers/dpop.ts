import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, SignJWT, type CryptoKey } from 'jose';

/** An asymmetric key pair a test client proves possession of. */
export interface ProofKeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

/**
 * An RFC 9449 §4.2 DPoP proof made by hand with jose (ES256). With `token` it carries `ath`,
 * the hash of the access or session token it accompanies at a resource endpoint (§4.3, §7).
 */
export async function dpopProof(key: ProofKeyPair, htm: string, htu: string, token?: string): Promise<string> {
  const ath = token === undefined ? {} : { ath: createHash('sha256').update(token).digest('base64url') };
  return new SignJWT({ jti: randomUUID(), htm, htu, ...ath })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt()
    .sign(key.privateKey);
}
