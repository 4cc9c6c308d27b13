/**
 * Fast non-cryptographic string hashes for the sketches. Two independent 32-bit hashes form a
 * 64-bit key: among a million keys the chance that two collide is about 3 in 100 million,
 * which is why the anomaly session tables keep the pair instead of the string (anomaly/sketches/lru.ts).
 *
 * These hashes are for bucketing only; anything shown to people (prefix hashes in evidence)
 * uses SHA-256.
 */

/** The murmur3 finaliser: spreads every input bit over the output, so low bits make good bucket indexes. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised with `mix32`. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

const SEED_B = 0x9747b28c;

/**
 * The 64-bit key of `text` as two 32-bit halves, written into `out` so the hot path
 * allocates nothing.
 */
export function hash64(text: string, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = SEED_B;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  out[0] = mix32(a);
  out[1] = mix32(b ^ text.length);
}

const TWO_TO_21 = 2 ** 21;

/** A 53-bit hash of `id` (a safe integer): both lanes feed every bit, so a collision needs both to collide. */
export function hash53(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const high = mix32(a ^ Math.imul(b ^ id.length, 0x27d4eb2d));
  const low = mix32(b ^ Math.imul(high, 0x165667b1));
  return high * TWO_TO_21 + (low >>> 11);
}
