import { createHmac } from 'node:crypto';

/**
 * Addresses are compared case-insensitively and stored in that normalised form. Providers that
 * ignore dots or `+tags` are not special-cased: those are different addresses to SMTP.
 */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  // Deliberately simple (WHATWG's input[type=email] rule): the verification mail is the real check.
  if (email.length > 254 || !/^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/.test(email))
    return undefined;
  return email;
}

/**
 * A keyed hash of a normalised address: lets events and rate limits count per account without
 * ever holding the address (HMAC so nobody can test guesses against event logs).
 */
export function accountKeyOf(secret: Buffer, email: string): string {
  return createHmac('sha256', secret).update(email).digest('base64url').slice(0, 22);
}
