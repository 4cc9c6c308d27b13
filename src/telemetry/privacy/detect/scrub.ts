import { scrubCards } from './card.js';
import { scrubEmails } from './email.js';
import { scrubIPv4, scrubIPv6 } from './ip.js';
import type { Found } from './kinds.js';
import { scrubPhones } from './phone.js';
import { scrubLongRuns, scrubSecrets } from './secrets.js';
import { shapeOf } from './shape.js';

export interface ScrubOptions {
  /** The field holds a version (context.app_version, os_version): four dotted numbers are not an address. */
  version?: boolean;
}

/**
 * `text` with every finding replaced by `[redacted:<kind>]`, calling `found` once per
 * occurrence. Detectors run from the most specific to the most general, so a JWT is reported
 * as a JWT and not as a long random run, and an e-mail's digits are gone before the phone scan.
 *
 * Cost: one pass over the characters (shape.ts) counts what each detector needs (an "@",
 * 8+ digits, two colons, a space…); a detector whose precondition fails does not run. The
 * shape is taken once, before any replacement: a marker adds nothing a later detector could
 * match. Most product-analytics strings
 * ("checkout", "en-US", "/pricing") skip every regex. Every regex is linear in the length:
 * bounded repetitions, lookbehinds that let a match start only at a token boundary, and no
 * nested unbounded quantifiers over the same characters (scrub.test.ts feeds them adversarial input).
 */
export function scrubText(text: string, found: Found, options?: ScrubOptions): string {
  if (text.length < 4) return text;
  const shape = shapeOf(text);
  let out = text.length >= 8 ? scrubSecrets(text, found, shape) : text;
  if (shape.at || (shape.percent && out.includes('%40'))) out = scrubEmails(out, found);
  if (shape.digitRun >= 13) out = scrubCards(out, found);
  // A valid IPv6 address has "::", or all eight groups (or six and an IPv4 tail), RFC 4291 §2.2;
  // clock times have neither.
  if (shape.colons >= 6 || (shape.colons >= 2 && out.includes('::'))) out = scrubIPv6(out, found);
  if (shape.dots >= 3 && shape.digits >= 4 && options?.version !== true) out = scrubIPv4(out, found);
  // International numbers have 8+ digits after a "+", national ones 9+.
  if (shape.digitRun >= 9 || (shape.plus && shape.digitRun >= 8)) out = scrubPhones(out, found);
  // The tripwire needs two upper-case letters: hex ids, UUIDs and SHAs never get that far.
  if (shape.longestRun >= 32 && shape.upper >= 2) out = scrubLongRuns(out, found);
  return out;
}
