import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * Random bytes from a pool refilled 16 KiB at a time by the system CSPRNG
 * (crypto.randomFillSync): one system call per ~1,000 ids instead of one per id, which
 * showed as 9% of a guest-session creation. No byte is handed out twice. The returned view is
 * overwritten at the next refill, so consume it at once (as the callers below do).
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
