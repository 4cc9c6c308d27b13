import { type Found, marker } from './kinds.js';

// Payment card numbers (PAN, ISO/IEC 7812): 13 to 19 digits, written plain or in groups of
// digits split by one kind of separator (4-4-4-4, Amex 4-6-5, Diners 4-6-4). A candidate is
// redacted only when its issuer prefix and length fit a known network AND the Luhn check
// passes. The prefix test is what keeps epoch milliseconds (13 digits starting with 1) and most
// long numeric ids apart; Luhn alone would pass one random number in ten.
// Trade-off: a 13–19 digit id that happens to start like a card and pass Luhn is redacted.
const CANDIDATE = /(?<![A-Za-z0-9.+])(?:\d{13,19}|\d{4}([ -])\d{4,6}(?:\1\d{2,7}){1,3})(?![A-Za-z0-9])/g;

export function scrubCards(text: string, found: Found): string {
  return text.replace(CANDIDATE, (match, separator: string | undefined) => {
    // Grouped: the longest run of leading groups that is a card, so "4111 1111 1111 1111 2026"
    // (a card followed by a year) still loses the card.
    const groups = separator === undefined ? [match] : match.split(separator);
    for (let count = groups.length; count >= 1; count--) {
      const digits = groups.slice(0, count).join('');
      if (digits.length < 13) break;
      if (isCardNumber(digits)) {
        found('card_number');
        const rest = groups.slice(count);
        return rest.length === 0 ? marker('card_number') : [marker('card_number'), ...rest].join(separator);
      }
    }
    return match;
  });
}

/** Issuer prefix and length of a known network, and the Luhn check (ISO/IEC 7812-1 Annex B). */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && fitsNetwork(digits) && luhn(digits);
}

function fitsNetwork(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || p2 === 62) return n >= 16; // Discover, UnionPay
  if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14; // Diners Club
  return p2 === 50 || (p2 >= 56 && p2 <= 69); // Maestro, 12–19 digits (13+ here)
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
