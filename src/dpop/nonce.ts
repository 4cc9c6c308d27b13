import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DpopNoncesOptions {
  /**
   * HMAC key, at least 32 bytes. Every node that must accept the others' nonces shares it;
   * use a key dedicated to DPoP nonces (e.g. derived from the master key with its own label).
   */
  secret: Buffer;
  /** Length of a nonce step in seconds; a nonce is accepted for one to two steps. @default 300 */
  stepSeconds?: number;
  now?: () => number;
}

const STEP_BYTES = 8;
const MAC_BYTES = 16;
/** 24 bytes in unpadded base64url: every 32-character string decodes canonically. */
const NONCE_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) without server state: a nonce is
 * `base64url(step || HMAC-SHA256(secret, step)[0..16])`, where `step` counts `stepSeconds`
 * periods since the epoch as 8 big-endian bytes. Any node holding the secret can issue and
 * check one, so no store has to be shared. The nonce only bounds a proof's age (§11.1); it is
 * not secret and not single-use (replay is the replay store's job).
 */
export class DpopNonces {
  private readonly secret: Buffer;
  private readonly stepMs: number;
  private readonly now: () => number;

  constructor({ secret, stepSeconds = 300, now = Date.now }: DpopNoncesOptions) {
    if (secret.length < 32) throw new RangeError('the DPoP nonce secret must be at least 32 bytes');
    if (!Number.isInteger(stepSeconds) || stepSeconds < 1) throw new RangeError('stepSeconds must be a positive integer');
    this.secret = Buffer.from(secret);
    this.stepMs = stepSeconds * 1000;
    this.now = now;
  }

  /** The nonce to send in `DPoP-Nonce` now. */
  current(): string {
    return this.forStep(this.currentStep()).toString('base64url');
  }

  /** True for a nonce of the current or the previous step made with this secret. */
  isValid(nonce: string): boolean {
    if (!NONCE_PATTERN.test(nonce)) return false;
    const presented = Buffer.from(nonce, 'base64url');
    const step = presented.readBigUInt64BE(0);
    const current = this.currentStep();
    if (step !== current && step !== current - 1n) return false;
    return timingSafeEqual(presented, this.forStep(step));
  }

  private currentStep(): bigint {
    return BigInt(Math.floor(this.now() / this.stepMs));
  }

  private forStep(step: bigint): Buffer {
    const stepBytes = Buffer.alloc(STEP_BYTES);
    stepBytes.writeBigUInt64BE(step);
    const mac = createHmac('sha256', this.secret).update(stepBytes).digest().subarray(0, MAC_BYTES);
    return Buffer.concat([stepBytes, mac]);
  }
}
