// Which prop keys name an identifier (DESIGN §2 principle 4: structure first, patterns second).
//
// A key is split into lower-case words at case changes, digits and separators, so `userEmail`,
// `user_email`, `user-email`, `USER_EMAIL` and `x-User.Email` are all [user, email]. Matching is
// on whole words, never substrings: `ip` is not found in `zip`, `tip`, `ship_method` or
// `description`, `tel` not in `hotel` or `telemetry`.
//
// The rules, in order:
// 1. A key holds an identifier when one of its words (or two adjacent words) is a term below.
// 2. `name` counts only as a person's name: the key `name` alone, or `name` right after a person
//    word (first, last, full, display, user, customer, holder, device…). So `event_name`,
//    `plan_name`, `feature_name`, `screen_name`, `file_name`/`filename` and `hostname` pass:
//    in product analytics they name things, not people. (`screen_name` is a handle on Twitter;
//    a handle in a value is not detectable either way, so the allow-list is the control there.)
//    `device_name` is a person word on purpose: phones are named "Jane's iPhone" by default.
// 3. `mobile` and `card` are also common UI words (`is_mobile`, a UI card); they count when they
//    end the key or come before number/no/holder…: `mobile`, `mobile_number`, `credit_card`,
//    `card_number` are identifiers, `mobile_layout`, `card_position` are not.
// 4. A qualifier turns an identifier key into a key about the identifier, whose value is a
//    count, flag, kind or coarse attribute: after the term (`email_verified`, `token_count`,
//    `password_length`, `ip_country`, `card_brand`) or before it (`is_mobile`, `has_email`,
//    `max_token`). The value is still scanned by pattern_scrub, so a qualifier never lets an
//    actual e-mail address or card number through.
// 5. `tokens` (plural) is not a term: `tokens_used`, `prompt_tokens`, `max_tokens` are LLM usage
//    counters. A credential is `token`, `access_token`, `x-auth-token`.

/** Single words that name an identifier or a secret. */
const TERMS = new Set([
  // contact
  'email',
  'emails',
  'emailaddress',
  'mail',
  'phone',
  'phones',
  'phonenumber',
  'telephone',
  'tel',
  'fax',
  'cellphone',
  'msisdn',
  // person
  'username',
  'firstname',
  'lastname',
  'fullname',
  'surname',
  'nickname',
  'displayname',
  'givenname',
  'familyname',
  'middlename',
  'maidenname',
  'dob',
  'birth',
  'birthday',
  'birthdate',
  'ssn',
  'passport',
  'iban',
  // place
  'address',
  'addresses',
  'addr',
  'street',
  'zip',
  'zipcode',
  'postcode',
  'latitude',
  'longitude',
  'geolocation',
  'gps',
  // network and device
  'ip',
  'ips',
  'ipv',
  'ipaddress',
  'ipaddr',
  'imei',
  'idfa',
  'idfv',
  'gaid',
  // secrets
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'passcode',
  'token',
  'secret',
  'secrets',
  'apikey',
  'jwt',
  'bearer',
  'credential',
  'credentials',
  'cookie',
  'cookies',
  'authorization',
  'otp',
  'cvv',
  'cvc',
  'creditcard',
]);

/** Two adjacent words that together name an identifier. */
const PAIRS = new Set([
  'e mail',
  'social security',
  'postal code',
  'post code',
  'national id',
  'tax id',
  'advertising id',
  'forwarded for',
  'account number',
  'acct number',
  'routing number',
  'cc number',
  'cc num',
  'pin code',
  'security code',
  'api key',
  'private key',
  'secret key',
  'access key',
  'signing key',
  'encryption key',
  'ip addr',
]);

/** Words before `name` that make it a person's name (rule 2). */
const PERSON = new Set([
  'first',
  'last',
  'full',
  'given',
  'family',
  'middle',
  'display',
  'nick',
  'real',
  'legal',
  'maiden',
  'sur',
  'user',
  'customer',
  'contact',
  'holder',
  'cardholder',
  'owner',
  'author',
  'recipient',
  'sender',
  'member',
  'person',
  'guest',
  'billing',
  'shipping',
  'patient',
  'employee',
  'account',
  'buyer',
  'seller',
  'parent',
  'student',
  'device',
  'player',
  'login',
]);

/** UI-ambiguous terms (rule 3) and the words after them that still make them identifiers. */
const WEAK = new Set(['mobile', 'card', 'cell']);
const WEAK_FOLLOWERS = new Set(['number', 'num', 'no', 'nr', 'phone', 'holder', 'details', 'data', 'info', 'pan', 'cvv', 'expiry']);

/** Words after a term that make the key describe the identifier instead of holding it (rule 4). */
const SUFFIX_QUALIFIERS = new Set([
  'count',
  'counts',
  'used',
  'usage',
  'length',
  'len',
  'size',
  'type',
  'types',
  'kind',
  'brand',
  'verified',
  'valid',
  'present',
  'provided',
  'status',
  'state',
  'enabled',
  'format',
  'country',
  'region',
  'changed',
  'updated',
  'sent',
  'received',
  'opened',
  'clicked',
  'shown',
  'visible',
  'required',
  'confirmed',
  'limit',
  'max',
  'min',
  'total',
  'expires',
  'expiry',
  'expired',
  'ttl',
  'age',
  'scope',
  'scopes',
  'source',
  'strength',
  'score',
  'version',
  'reset',
  'exists',
  'attempts',
  'position',
  'layout',
  'variant',
]);
/** Words before a term with the same effect; also used for `key=value` secrets in free text. */
export const PREFIX_QUALIFIERS = new Set([
  'is',
  'has',
  'can',
  'should',
  'use',
  'uses',
  'with',
  'without',
  'num',
  'n',
  'count',
  'total',
  'max',
  'min',
  'allow',
  'show',
  'hide',
  'require',
  'requires',
  'needs',
]);

const WORDS = /[A-Z]{2,}(?=[A-Z][a-z]|[^A-Za-z]|$)|[A-Z]?[a-z]+|[A-Z]+|\d+/g;

/** The lower-case words of a key: `x-AuthToken2` → [x, auth, token, 2]. */
export function keyWords(key: string): string[] {
  return (key.match(WORDS) ?? []).map((word) => word.toLowerCase());
}

/** Where the first identifier term starts and ends in `words`, if any (rules 1–3 and 5). */
function findTerm(words: readonly string[], from: number): { start: number; end: number } | undefined {
  for (let i = from; i < words.length; i++) {
    const word = words[i] as string;
    const next = words[i + 1];
    if (next !== undefined && PAIRS.has(`${word} ${next}`)) return { start: i, end: i + 2 };
    if (TERMS.has(word)) return { start: i, end: i + 1 };
    if (word === 'name' && (words.length === 1 || (i > 0 && PERSON.has(words[i - 1] as string)))) return { start: i > 0 ? i - 1 : i, end: i + 1 };
    if (WEAK.has(word) && (next === undefined || WEAK_FOLLOWERS.has(next))) return { start: i, end: i + 1 };
  }
  return undefined;
}

function isQualified(words: readonly string[], start: number, end: number): boolean {
  for (let i = 0; i < start; i++) if (PREFIX_QUALIFIERS.has(words[i] as string)) return true;
  for (let i = end; i < words.length; i++) if (SUFFIX_QUALIFIERS.has(words[i] as string)) return true;
  return false;
}

export interface KeyInfo {
  /** The key names an identifier or a secret (the rules above). */
  readonly identifier: boolean;
  /** The key names a version (`os_version`, `sdkVersion`, `build`): see ipv4.ts. */
  readonly version: boolean;
}

const VERSION_WORDS = new Set(['version', 'ver', 'build', 'release', 'firmware', 'fw', 'revision']);
const cache = new Map<string, KeyInfo>();
const CACHE_LIMIT = 4096;

/** What a prop or metric key says about its value; cached, since keys repeat across events. */
export function keyInfo(key: string): KeyInfo {
  const known = cache.get(key);
  if (known !== undefined) return known;
  const words = keyWords(key);
  let identifier = false;
  for (let term = findTerm(words, 0); term !== undefined; term = findTerm(words, term.end)) {
    if (!isQualified(words, term.start, term.end)) {
      identifier = true;
      break;
    }
  }
  const info: KeyInfo = { identifier, version: words.some((word) => VERSION_WORDS.has(word)) };
  // Bounded, because keys are chosen by clients.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, info);
  return info;
}
