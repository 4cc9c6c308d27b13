import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/**
 * 128 random bits as base64url, for token ids (`jti`). Drawn from a pool refilled 16 KiB at a
 * time: one call into the system CSPRNG per thousand tokens instead of one per token. The
 * bytes are the same quality (crypto.randomFillSync); no byte is handed out twice.
 */
export function randomTokenId(): string {
  if (offset + 16 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return id;
}
