import { v7 as uuidv7 } from 'uuid';
import { uuidRandomBytes } from './random-pool.js';

/** Time-ordered UUIDv7 ids (RFC 9562): unique without coordination and index-friendly. */
export function newId(): string {
  return uuidv7({ random: uuidRandomBytes() });
}

/**
 * UUIDv7 ids that also sort in the order this process made them, within one millisecond too
 * (uuid's own counter, RFC 9562 §6.2 method 1): for rows read back in write order (the outbox).
 * Its randomness is uuid's own, not the pool `newId` draws from.
 */
export function newOrderedId(): string {
  return uuidv7();
}
