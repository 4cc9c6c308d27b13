import { type Found, marker } from './kinds.js';

// Phone numbers, in the three shapes people write (ITU-T E.123 / E.164, NANP, trunk-prefixed
// national numbers). Every shape needs a "+" or separators, never a bare digit run:
// a plain 10-digit number is as likely an epoch second, an order number or an id as a phone.
// Trade-offs: unformatted national numbers (5551234567, 07700900123) are not detected; their
// E.164 form (+15551234567) is. Spanish-style 3-3-3 national numbers (912 345 678) are not
// detected either: they are written exactly like thousands (912 345 678 units). The other way
// round, a standalone id in the 3-3-4 shape (100-234-5678) is taken for a phone.
//
// None of the shapes can match a date (2026-11-26, 26/11/2026, 11-26-2026: wrong group sizes or
// "/" which is not a separator here), an ISO timestamp, a version, a UUID or a dashed order
// number: a number glued to a letter, digit, dot, dash, "+", "#", "@" or currency sign before
// it, or followed by a letter or by "-digit"/".digit", is part of something else.

/** International: "+", then 8–15 digits (E.164 §6) with up to two separators between digits. */
const INTERNATIONAL = /(?<![A-Za-z0-9+])\+\d(?:[ .()/-]{0,2}\d){7,14}(?!\d)/g;

/** NANP: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, 1-800-555-0199; one separator kind in the 3-3-4 form. */
const NANP = /(?<![A-Za-z0-9.+#@$€£¥-])(?:1[ .-])?(?:\(\d{3}\) ?\d{3}[ .-]|\d{3}([ .-])\d{3}\1)\d{4}(?![A-Za-z0-9]|[.-]\d)/g;

/**
 * Trunk prefix 0 then groups of one separator kind (020 7946 0958, 07700 900123,
 * 01 23 45 67 89, 06.12.34.56.78, 030/1234567, (020) 7946 0958); 9–12 digits, checked in code,
 * which also keeps out dates written 01-02-2026 or 05.11.2026 (8 digits).
 */
const TRUNK = /(?<![A-Za-z0-9.+#@$€£¥/-])(?:\(0\d{1,4}\) ?\d{2,8}(?:[ .-]\d{2,8}){0,3}|0\d{1,4}([ ./-])\d{2,8}(?:\1\d{2,8}){0,4})(?![A-Za-z0-9]|[./-]\d)/g;

export function scrubPhones(text: string, found: Found): string {
  const redact = (_match: string): string => {
    found('phone');
    return marker('phone');
  };
  let out = text.includes('+') ? text.replace(INTERNATIONAL, redact) : text;
  out = out.replace(NANP, redact);
  return out.replace(TRUNK, (match) => {
    const digits = countDigits(match);
    return digits >= 9 && digits <= 12 ? redact(match) : match;
  });
}

function countDigits(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) count++;
  }
  return count;
}
