import { v7 as uuidv7 } from 'uuid';
import { uuidRandomBytes } from './random-pool.js';

/** Time-ordered UUIDv7 ids (RFC 9562): unique without coordination and index-friendly. */
export function newId(): string {
  return uuidv7({ random: uuidRandomBytes() });
}

/** The last `newOrderedId`'s millisecond and counter (RFC 9562 §6.2 method 1). */
const ordered = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

/**
 * UUIDv7 ids that also sort in the order this process made them, within one millisecond too:
 * for rows read back in write order (the audit log, the outbox). The counter follows uuid's
 * own (a random 31-bit start each new millisecond, +1 within it, the clock moved on by one
 * when it wraps), but the random bytes come from the pool: uuid draws its own with one
 * getRandomValues call per id, which was 3% of a guest-session creation (its audit row).
 */
export function newOrderedId(): string {
  const random = uuidRandomBytes();
  const now = Date.now();
  if (now > ordered.msecs) {
    ordered.msecs = now;
    ordered.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    ordered.seq = (ordered.seq + 1) | 0;
    if (ordered.seq === 0) ordered.msecs++;
  }
  return uuidv7({ random, msecs: ordered.msecs, seq: ordered.seq });
}
