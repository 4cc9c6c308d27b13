import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * Random bytes from a pool refilled 16 KiB at a time by the system CSPRNG
 * (crypto.randomFillSync): one system call per ~1,000 draws instead of one per draw; each
 * call costs microseconds whatever its size, and a guest-session creation draws four times
 * (user id, session id, `jti`, the session token's IV) plus once per audit row. No byte is
 * handed out twice. The returned view is overwritten at the next refill, so consume it at
 * once (as the callers below do).
 */
function takeRandomBytes(length: number): Buffer {
  if (offset + length > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + length);
  offset += length;
  return bytes;
}

/** 128 random bits as base64url, for token ids (`jti`). */
export function randomTokenId(): string {
  return takeRandomBytes(16).toString('base64url');
}

/** 16 random bytes for a UUIDv7 (uuid's `random` option), consumed immediately. */
export function uuidRandomBytes(): Uint8Array {
  return takeRandomBytes(16);
}

/**
 * A fresh 96-bit AES-GCM nonce, copied out of the pool: the cipher keeps a reference to it
 * and the token carries it, so it must not be a view a later refill overwrites.
 */
export function randomNonce(): Buffer {
  return Buffer.from(takeRandomBytes(12));
}
