import { isIPv6 } from 'node:net';
import { type Found, marker } from './kinds.js';

// IPv4: four dotted decimal octets 0–255 without leading zeros, not glued to a letter, digit or
// dot (so 1.2.3.4.5 and 10.0.19045.2006 are not addresses). A four-part version whose parts are
// all ≤ 255 looks exactly like an address, so context decides (the rule for the ambiguity):
// - a letter right before it: v1.2.3.4, build1.2.3.4 (the lookbehind);
// - a version word before it: "version 1.2.3.4", "ver: 1.2.3.4", "build 1.2.3.4", "release=…";
// - a product token before it and a last part of 0: Chrome/120.0.0.0, the frozen version of
//   reduced user agents (an address ending in .0 is a network, rarely a host);
// - the field is a version: context.app_version, or a prop key naming a version (os_version);
// - a first octet of 0: 0.0.0.0/8 is "this network" (RFC 1122 §3.2.1.3), never a host's
//   address, while 0.x.y.z is a common version.
// Loopback (127.0.0.0/8, and ::1 below) identifies no one and is kept, so "ECONNREFUSED
// 127.0.0.1:5432" stays useful. Private ranges (10/8, 192.168/16) are redacted: a LAN address
// is weak but real linking data.
// Trade-off: a bare four-part version outside those contexts ("upgrade to 1.2.3.4") is
// redacted; we prefer losing a version to keeping an address.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![A-Za-z0-9.])${OCTET}(?:\\.${OCTET}){3}(?![A-Za-z0-9]|\\.\\d)`, 'g');
const VERSION_WORD_BEFORE = /\b(?:v|ver|version|release|build|firmware|fw|rev|revision)[\s:=#]*$/i;
const PRODUCT_BEFORE = /[A-Za-z]\/$/;

export function scrubIPv4(text: string, found: Found): string {
  return text.replace(IPV4, (match, offset: number) => {
    if (match.startsWith('0.') || match.startsWith('127.')) return match;
    const before = text.slice(Math.max(0, offset - 16), offset);
    if (VERSION_WORD_BEFORE.test(before) || (match.endsWith('.0') && PRODUCT_BEFORE.test(before))) return match;
    found('ipv4');
    return marker('ipv4');
  });
}

// IPv6 (RFC 4291 §2.2, RFC 5952): a candidate is a run of hex digits, colons and dots (for the
// IPv4-suffixed forms such as ::ffff:192.0.2.1) that starts a token; node:net decides whether it
// is an address. A single character class keeps the scan linear. Besides being valid, it must
// have at least two groups and one decimal digit, which keeps out look-alikes that node:net
// accepts: ::, ::1 (loopback, nobody's address), and C++/Ruby scopes made of hex letters such
// as Abc::Def. Clock times (12:30:45) and MAC addresses (six groups) are not valid addresses.
// A zone (%eth0) stays: it names an interface, not a host.
const IPV6_CANDIDATE = /(?<![A-Za-z0-9:.])[0-9A-Fa-f:.]{3,45}/g;

export function scrubIPv6(text: string, found: Found): string {
  return text.replace(IPV6_CANDIDATE, (run, offset: number) => {
    let candidate = run;
    while (candidate.endsWith('.')) candidate = candidate.slice(0, -1);
    const next = text.charCodeAt(offset + run.length);
    // A run cut at 45 characters, or glued to a word, is not one address.
    if (isWordChar(next) || next === 58 || !isAddressLike(candidate) || !isIPv6(candidate)) return run;
    found('ipv6');
    return marker('ipv6') + run.slice(candidate.length);
  });
}

function isAddressLike(candidate: string): boolean {
  let colons = 0;
  let digit = false;
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    if (code === 58) colons++;
    else if (code >= 48 && code <= 57) digit = true;
  }
  if (colons < 2 || !digit) return false;
  return candidate.split(':').filter((group) => group !== '').length >= 2;
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}
