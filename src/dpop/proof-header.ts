import { decodeProtectedHeader, type JWK } from 'jose';
import { dpopError } from './error-codes.js';

/** Far above any honest proof (an RSA-4096 jwk is under 1 KiB); refuses work on junk. */
const MAX_PROOF_LENGTH = 8192;
/** Three base64url parts; the signature may be empty here so that `alg: none` gets its own message. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Members that only private or symmetric JWKs have (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_KEY_TYPES = new Set(['EC', 'OKP', 'RSA']);

export interface ProofHeader {
  alg: string;
  /** The public key the proof claims to be signed with; not yet checked against the signature. */
  jwk: JWK;
}

const invalid = (description: string) => dpopError('INVALID_DPOP_PROOF', description);

/** RFC 9449 §4.3 steps 2, 4, 5 and 7: one well-formed JWT whose header names a public key. */
export function readProofHeader(proof: string, algorithms: readonly string[]): ProofHeader {
  if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof)) {
    throw invalid('The DPoP header must hold a single JWT in compact form: three base64url parts separated by dots (RFC 9449 §4.3).');
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('The DPoP proof header is not a base64url-encoded JSON object.');
  }
  // §4.2: explicit typing keeps other JWTs (access tokens, ID tokens) from passing as proofs.
  if (header['typ'] !== 'dpop+jwt') throw invalid('The DPoP proof header must have typ "dpop+jwt" (RFC 9449 §4.2).');
  return { alg: readAlg(header['alg'], algorithms), jwk: readPublicJwk(header['jwk']) };
}

function readAlg(alg: unknown, algorithms: readonly string[]): string {
  if (alg === 'none') throw invalid('The DPoP proof uses alg "none"; a proof must be signed with an asymmetric key (RFC 9449 §4.3).');
  if (typeof alg === 'string' && alg.startsWith('HS')) {
    throw invalid('The DPoP proof uses a symmetric (HMAC) alg, which cannot prove possession of a public key; sign with an asymmetric key (RFC 9449 §4.3).');
  }
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    throw invalid(`The DPoP proof alg is not accepted here; use one of ${algorithms.join(', ')}.`);
  }
  return alg;
}

function readPublicJwk(jwk: unknown): JWK {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalid('The DPoP proof header must carry the public key it was signed with as a jwk member (RFC 9449 §4.2).');
  }
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => member in members)) {
    throw invalid(
      'The DPoP proof jwk header contains private or symmetric key material; send only the public key, and treat that private key as exposed (RFC 9449 §4.3).',
    );
  }
  if (typeof members['kty'] !== 'string' || !PUBLIC_KEY_TYPES.has(members['kty'])) {
    throw invalid('The DPoP proof jwk must be an EC, OKP or RSA public key.');
  }
  return members as JWK;
}
