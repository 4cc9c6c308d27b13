import { v7 as uuidv7 } from 'uuid';
import { uuidRandomBytes } from './random-pool.js';

/** Time-ordered UUIDv7 ids (RFC 9562): unique without coordination and index-friendly. */
export function newId(): string {
  return uuidv7({ random: uuidRandomBytes() });
}
