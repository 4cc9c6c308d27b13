import { GuestpassAuthError, type AuthScheme } from './errors.js';

export interface PresentedToken {
  scheme: AuthScheme;
  token: string;
}

/** A compact JWS: three base64url parts (RFC 7515 §7.1). */
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * The token of an `Authorization` header, or undefined when there is none. Node joins a
 * repeated header with ", ", which the pattern refuses, so two tokens never get through.
 */
export function readAuthorization(header: string | string[] | undefined): PresentedToken | undefined {
  if (header === undefined || header === '') return undefined;
  const match = typeof header === 'string' ? AUTHORIZATION.exec(header.trim()) : null;
  if (!match?.[1] || !match[2]) throw new GuestpassAuthError('MALFORMED_AUTHORIZATION');
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** The one `DPoP` header (RFC 9449 §4.3 step 1: several are refused), or undefined. */
export function readDpopHeader(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || header.includes(',')) {
    throw new GuestpassAuthError('INVALID_DPOP_PROOF', 'Send exactly one DPoP header; this request carries several (RFC 9449 §4.3).', { scheme: 'DPoP' });
  }
  return header.trim();
}
