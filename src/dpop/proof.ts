import { calculateJwkThumbprint, compactVerify, errors as joseErrors, importJWK, type JWK } from 'jose';
import { GuestpassError } from '../shared/errors.js';
import { dpopError } from './error-codes.js';
import type { DpopNonces } from './nonce.js';
import { checkAth, checkHtm, checkHtu, checkIat, readClaims, type DpopClaims } from './proof-claims.js';
import { readProofHeader } from './proof-header.js';
import type { DpopReplayStore } from './replay-cache.js';
import { toResourceError } from './resource-error.js';

export interface DpopVerifierOptions {
  /** Where accepted proofs are remembered until they expire (RFC 9449 §11.1). */
  replay: DpopReplayStore;
  /** Issues and checks server-provided nonces (RFC 9449 §8, §9). */
  nonces: DpopNonces;
  /** How far `iat` may lie from now, in the past or the future, in seconds. @default 60 */
  iatLeewaySeconds?: number;
  /** Accepted proof algorithms; `none` and HMAC are refused outright. @default ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] */
  algorithms?: readonly string[];
  now?: () => number;
}

/** What the request a proof came with looks like. */
export interface DpopExpectations {
  /** The request method, e.g. `request.method`. */
  htm: string;
  /** The request's public URL (from the configured issuer, not the Host header); query and fragment are ignored. */
  htu: string;
  /** The access token sent with the proof; makes `ath` required (RFC 9449 §7). */
  accessToken?: string;
  /** Refuse proofs without a valid server nonce, answering with a fresh one (RFC 9449 §8). */
  requireNonce?: boolean;
  /** RFC 7638 thumbprint the token or session is bound to (`cnf.jkt`). */
  expectedJkt?: string;
  /** Told about failures that suggest theft rather than a client bug, before the error is thrown (the caller emits the domain event). */
  onViolation?: (violation: DpopViolation) => void;
}

/** A proof from the wrong key (RFC 9449 §4.3 step 12) or a replayed `jti` (§11.1). */
export type DpopViolation = { kind: 'key_mismatch'; expectedJkt: string; presentedJkt: string } | { kind: 'proof_replayed'; jkt: string };

export interface DpopVerification {
  /** RFC 7638 SHA-256 thumbprint of the proof key: the value for `cnf.jkt` (RFC 9449 §6). */
  jkt: string;
}

export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

/**
 * Checks DPoP proofs as RFC 9449 §4.3 lists the steps. Every failure is a `dpopError`
 * (INVALID_DPOP_PROOF or USE_DPOP_NONCE) whose description says what to fix; no library
 * message reaches the client.
 */
export class DpopVerifier {
  /** Also for successful responses: send `DPoP-Nonce: nonces.current()` to save a round trip. */
  readonly nonces: DpopNonces;
  /** For discovery (`dpop_signing_alg_values_supported`, RFC 9449 §5.1) and challenges. */
  readonly algorithms: readonly string[];
  private readonly replay: DpopReplayStore;
  private readonly leewaySeconds: number;
  private readonly now: () => number;

  constructor({ replay, nonces, iatLeewaySeconds = 60, algorithms = DEFAULT_DPOP_ALGORITHMS, now = Date.now }: DpopVerifierOptions) {
    const symmetric = algorithms.filter((alg) => alg === 'none' || alg.startsWith('HS'));
    if (algorithms.length === 0 || symmetric.length > 0)
      throw new TypeError(`DPoP algorithms must be asymmetric signature algorithms; refused: ${symmetric.join(', ') || 'an empty list'}`);
    if (!(iatLeewaySeconds > 0)) throw new RangeError('iatLeewaySeconds must be positive');
    this.replay = replay;
    this.nonces = nonces;
    this.leewaySeconds = iatLeewaySeconds;
    this.algorithms = [...algorithms];
    this.now = now;
  }

  /** Verifies a proof for the token endpoint; failures are 400s (RFC 9449 §5). */
  async verify(proof: string, expected: DpopExpectations): Promise<DpopVerification> {
    const { alg, jwk } = readProofHeader(proof, this.algorithms);
    const claims = readClaims(await verifySignature(proof, alg, jwk));
    checkHtm(claims, expected.htm);
    checkHtu(claims, expected.htu);
    checkIat(claims, this.now(), this.leewaySeconds);
    if (expected.accessToken !== undefined) checkAth(claims, expected.accessToken);
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    if (expected.expectedJkt !== undefined && jkt !== expected.expectedJkt) {
      expected.onViolation?.({ kind: 'key_mismatch', expectedJkt: expected.expectedJkt, presentedJkt: jkt });
      throw dpopError('INVALID_DPOP_PROOF', 'The DPoP proof key does not match the key this token or session is bound to; sign proofs with that key.');
    }
    // Last but one, so a client learns about every other mistake before fetching a nonce.
    this.checkNonce(claims, expected.requireNonce ?? false);
    // Last, so only proofs that are otherwise accepted occupy the replay store.
    await this.rememberOnce(jkt, claims, expected.onViolation);
    return { jkt };
  }

  /**
   * Verifies a proof sent to a resource with a DPoP-bound access token: `ath` is required and
   * failures are 401s with a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1, §9).
   */
  async verifyAtResource(proof: string, expected: DpopExpectations & { accessToken: string }): Promise<DpopVerification> {
    try {
      return await this.verify(proof, expected);
    } catch (error) {
      throw error instanceof GuestpassError ? toResourceError(error, this.algorithms) : error;
    }
  }

  /** RFC 9449 §8: a missing, stale or forged nonce gets `use_dpop_nonce` and a fresh one. */
  private checkNonce(claims: DpopClaims, required: boolean): void {
    if (claims.nonce === undefined && !required) return;
    if (claims.nonce !== undefined && this.nonces.isValid(claims.nonce)) return;
    const description =
      claims.nonce === undefined
        ? undefined
        : 'The DPoP proof nonce is expired or was not issued by this server; sign a new proof with the nonce in the DPoP-Nonce response header (RFC 9449 §8).';
    throw dpopError('USE_DPOP_NONCE', description, { 'DPoP-Nonce': this.nonces.current() });
  }

  /** RFC 9449 §11.1. Keyed by thumbprint too, so one client cannot burn another's jti. */
  private async rememberOnce(jkt: string, claims: DpopClaims, onViolation?: (violation: DpopViolation) => void): Promise<void> {
    const expiresAtMs = (claims.iat + this.leewaySeconds) * 1000;
    if (!(await this.replay.remember(`${jkt}:${claims.jti}`, expiresAtMs))) {
      onViolation?.({ kind: 'proof_replayed', jkt });
      throw dpopError(
        'INVALID_DPOP_PROOF',
        'This DPoP proof was already used (its jti was replayed); sign a new proof with a fresh jti for every request (RFC 9449 §11.1).',
      );
    }
  }
}

/** RFC 9449 §4.3 step 6: the signature verifies with the key in the proof's own header. */
async function verifySignature(proof: string, alg: string, jwk: JWK): Promise<Uint8Array> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw dpopError('INVALID_DPOP_PROOF', `The DPoP proof jwk is not a valid public key for alg ${alg}; the key type and curve must match the alg.`);
  }
  try {
    return (await compactVerify(proof, key, { algorithms: [alg] })).payload;
  } catch (error) {
    throw dpopError(
      'INVALID_DPOP_PROOF',
      error instanceof joseErrors.JWSSignatureVerificationFailed
        ? 'The DPoP proof signature does not verify with the key in its jwk header.'
        : `The DPoP proof could not be verified: check that it is a JWS signed with alg ${alg} by that key (RSA keys need at least 2048 bits) and has no unsupported crit headers.`,
    );
  }
}
