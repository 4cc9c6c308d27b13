import type { IncomingHttpHeaders } from 'node:http';
import { dpopError } from './error-codes.js';

/**
 * The request's one `DPoP` header, or undefined when there is none (whether DPoP is required
 * is the caller's decision). RFC 9449 §4.3 step 1 refuses several: Node joins repeated
 * headers with ", ", and since a compact JWT never contains a comma, a comma means several.
 */
export function dpopHeaderValue(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers['dpop'];
  if (raw === undefined) return undefined;
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length !== 1 || values[0]?.includes(',')) {
    throw dpopError('INVALID_DPOP_PROOF', 'Send exactly one DPoP header; this request carries several (RFC 9449 §4.3).');
  }
  return values[0]?.trim();
}
