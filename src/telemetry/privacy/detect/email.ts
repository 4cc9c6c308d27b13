import { type Found, marker } from './kinds.js';

// An address is local@domain with a dotted domain and an alphabetic (or punycode) top-level
// label. Letters are Unicode (\p{L}), so internationalised addresses (RFC 6531) match:
// josé@exämple.de, 用户@例子.广告. "@" written as %40 (URL-encoded, in paths) counts too.
// The lookbehind lets a match start only at the beginning of a run of address characters,
// which keeps the scan linear: no start inside a run is retried.
// An apostrophe may appear inside the local part (o'brien@) but not begin it, so a quoted
// address 'jane@example.com' keeps its quotes.
// Not addresses: package pins (pkg@1.2.3, name@latest: no alphabetic top-level label), scoped
// packages (@types/node) and retina assets (logo@2x.png, icon@1.5x.webp, rule below).
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_%+-][\p{L}\p{N}._%+'-]*(?:@|%40)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})(?![\p{L}\p{N}-])/giu;
const RETINA_ASSET = /(?:@|%40)\d+(?:\.\d+)?x\.[a-z]+$/i;

export function scrubEmails(text: string, found: Found): string {
  return text.replace(EMAIL, (match) => {
    if (RETINA_ASSET.test(match)) return match;
    found('email');
    return marker('email');
  });
}
