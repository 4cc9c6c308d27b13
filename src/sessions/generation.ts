import type { SessionRecord } from './store.js';

/**
 * Where a presented session token's rotation generation stands against the session's row
 * (RFC 9700 §4.14.2), judged the same way at refresh and at every other endpoint:
 * - `current`: the newest token (or a session that has no row yet, at generation 0);
 * - `grace`: the immediate predecessor, presented within the client's `refresh_grace` of the
 *   rotation that replaced it (two tabs refreshing at once, a response lost in a crash);
 * - `reused`: anything older: someone holds a copy that was already exchanged;
 * - `revoked`: the session was ended, or its state is gone while the token claims rotations;
 * - `ahead`: a generation the row never reached (not a token we issued for this row).
 */
export type GenerationVerdict = 'current' | 'grace' | 'reused' | 'revoked' | 'ahead';

export function judgeGeneration(presented: number, record: SessionRecord | undefined, graceMs: number, now: number): GenerationVerdict {
  if (!record) return presented === 0 ? 'current' : 'revoked';
  if (record.revokedAt != null) return 'revoked';
  if (presented === record.generation) return 'current';
  if (presented > record.generation) return 'ahead';
  const predecessor = presented === record.generation - 1;
  if (predecessor && graceMs > 0 && now - (record.lastRefreshedAt ?? 0) <= graceMs) return 'grace';
  return 'reused';
}
