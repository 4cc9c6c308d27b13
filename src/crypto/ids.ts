import { v7 as uuidv7 } from 'uuid';

/** Time-ordered UUIDv7 ids (RFC 9562): unique without coordination and index-friendly. */
export function newId(): string {
  return uuidv7();
}
