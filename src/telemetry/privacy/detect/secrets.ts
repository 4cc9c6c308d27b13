import { Buffer } from 'node:buffer';
import { PREFIX_QUALIFIERS, keyWords } from './key-names.js';
import { type Found, marker } from './kinds.js';
import type { Shape } from './shape.js';

// Credentials: anything that grants access to whoever holds it. All are reported as
// `bearer_secret` except JWTs (`jwt`), which are also how Guestpass's own tokens look.

/** A PEM private key block, or its start when the value was cut (RFC 7468 §10). */
const PRIVATE_KEY = /-----BEGIN[A-Z ]{0,40} PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z ]{0,40} PRIVATE KEY-----|$)/g;

/** JWS (3 parts) and JWE (5 parts) compact serialisations: the header is base64url JSON, so it starts "eyJ" ('{"'). */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){2}(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g;

/**
 * Vendor key formats, each recognisable by its prefix: Stripe secret and restricted keys and
 * webhook secrets (publishable pk_ keys are public by design and pass), GitHub tokens, GitLab,
 * Slack, AWS access key ids, Google API keys, npm, SendGrid, OpenAI/Anthropic sk- keys.
 */
const VENDOR_KEY =
  /(?<![A-Za-z0-9])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{35}|npm_[A-Za-z0-9]{36}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,})(?![A-Za-z0-9])/g;

/** An HTTP authorization header value (RFC 9110 §11.4, RFC 6750 §2.1, RFC 9449 §7.1): the scheme stays, the credential goes. */
const AUTH_SCHEME = /\b(Bearer|Basic|Token|DPoP)([ \t\r\n\u00a0]+)([A-Za-z0-9._~+/-]+=*)/gi;

/**
 * `key=value` or `key: value` where the key names a secret (JSON and header styles too:
 * "password":"…", x-api-key: …, csrftoken=…). A qualifier before the keyword (max_token=)
 * makes it a setting, not a secret; `tokens` never matches (LLM counters). Only the value goes.
 * Matches start at a token boundary only, which keeps the scan linear.
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])((?:[A-Za-z0-9]+[_.-])*?[A-Za-z0-9]*?(?:password|passwd|passphrase|passcode|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|secret[_-]?key|access[_-]?key|credentials?|cookie))(["']?\s*[:=]\s*)(["']?)([^\s"'&,;]+)/gi;

/** A cheap test that runs before ASSIGNMENT: its keywords all contain one of these. */
const SECRET_WORD = /pass|pwd|secret|token|key|credential|cookie/i;

/**
 * The tripwire for opaque tokens without a known prefix: a run of ≥ 32 base64/base64url
 * characters with upper case (≥ 2), lower case (≥ 2) and a digit that switches character class
 * as often as random text does: ≥ 40% of adjacent letter/digit pairs, against a median of 62%
 * for random base64 and 10–38% for CamelCase identifiers, constants and paths. Measured on
 * random tokens: about 1.2% of 32-character and 0.4% of 43-character base64(url) tokens fall
 * below it (missed); dense model names such as iPhone15ProMaxA17BionicChip pass it (redacted).
 * A run with "/" is judged by its own ≥ 32-character segments when it also has a lower-case
 * path word (/reset/<token>: the token goes, the path stays), otherwise as a whole (standard
 * base64 contains "/").
 * Not flagged on purpose: hex-only strings of any length (UUIDs, trace ids, git SHAs, content
 * hashes are everyday telemetry; a hex secret is still caught after a secret-naming key).
 */
const LONG_RUN = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
/** Subresource Integrity and CSP hash sources (sha256-…): random by construction, secret by no one. */
const INTEGRITY = /^sha(?:256|384|512)-/;
const PATH_WORD = /^[a-z0-9._~-]+$/;

/** Everything here but the long-run tripwire, which runs last (scrub.ts). */
export function scrubSecrets(text: string, found: Found, shape: Shape): string {
  let out = text;
  if (shape.joiner && out.includes('-----BEGIN')) out = out.replace(PRIVATE_KEY, () => redact('bearer_secret', found));
  if (shape.dots >= 2 && out.includes('eyJ')) out = out.replace(JWT, () => redact('jwt', found));
  if (out.length >= 20 && (shape.joiner || shape.upper >= 2)) {
    out = out.replace(VENDOR_KEY, (match) => (match.startsWith('sk-') && !/\d/.test(match) ? match : redact('bearer_secret', found)));
  }
  if (shape.space) {
    out = out.replace(AUTH_SCHEME, (match, scheme: string, space: string, credential: string) => {
      if (!isCredential(scheme, credential)) return match;
      return `${scheme}${space}${redact('bearer_secret', found)}`;
    });
  }
  if ((shape.equals || shape.colons > 0) && SECRET_WORD.test(out)) out = out.replace(ASSIGNMENT, replaceAssignment(found));
  return out;
}

export function scrubLongRuns(text: string, found: Found): string {
  return text.replace(LONG_RUN, (run) => {
    if (INTEGRITY.test(run)) return run;
    const segments = run.split('/');
    if (segments.some((segment) => segment.length >= 32) && segments.some((segment) => PATH_WORD.test(segment))) {
      return segments.map((segment) => (segment.length >= 32 && looksRandom(segment) ? redact('bearer_secret', found) : segment)).join('/');
    }
    return looksRandom(run) ? redact('bearer_secret', found) : run;
  });
}

function redact(kind: 'jwt' | 'bearer_secret', found: Found): string {
  found(kind);
  return marker(kind);
}

/**
 * A credential after an auth scheme, as opposed to a word ("Bearer token missing", "Basic
 * authentication"): it has a digit or is long and mixed-case; a Basic credential is base64 of
 * "user:password" (RFC 7617 §2), which is checked directly.
 */
function isCredential(scheme: string, value: string): boolean {
  if (value.length < 8) return false;
  if (/\d/.test(value) || (value.length >= 20 && /[a-z]/.test(value) && /[A-Z]/.test(value))) return true;
  return scheme.toLowerCase() === 'basic' && /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').toString('latin1').includes(':');
}

function replaceAssignment(found: Found) {
  return (match: string, key: string, separator: string, quote: string, value: string): string => {
    if (value.startsWith('[redacted:')) return match;
    const words = keyWords(key);
    if (words.slice(0, -1).some((word) => PREFIX_QUALIFIERS.has(word))) return match;
    // "password: required" is a message about a field; "password: hunter2" is a leak. Quoted or
    // "=" values are always values; a bare value after ":" must look like a secret.
    const plainColon = quote === '' && !separator.includes('=') && !/["']/.test(separator);
    if (plainColon && !/\d/.test(value) && value.length < 16) return match;
    return `${key}${separator}${quote}${redact('bearer_secret', found)}`;
  };
}

function looksRandom(run: string): boolean {
  let upper = 0;
  let lower = 0;
  let digit = 0;
  let switches = 0;
  let pairs = 0;
  let previous = 0;
  for (let i = 0; i < run.length; i++) {
    const code = run.charCodeAt(i);
    const kind = code >= 65 && code <= 90 ? 1 : code >= 97 && code <= 122 ? 2 : code >= 48 && code <= 57 ? 3 : 0;
    if (kind === 0) continue;
    if (kind === 1) upper++;
    else if (kind === 2) lower++;
    else digit++;
    if (previous !== 0) {
      pairs++;
      if (kind !== previous) switches++;
    }
    previous = kind;
  }
  return upper >= 2 && lower >= 2 && digit >= 1 && switches >= pairs * 0.4;
}
