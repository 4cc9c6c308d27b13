import { option, type OptionValues } from '../config/option.js';
import { parseInteger, parseString } from '../config/parsers.js';
import { DEFAULT_PASSWORD_HASH_COST, parsePasswordHashCost, type PasswordHashCost } from './password-cost.js';
import { parseMergeStrategies, type MergeStrategies } from './merge/strategies.js';
import { parseTrustedIssuers, type TrustedIssuer } from './id-token/trusted-issuers.js';

/** Options of the accounts feature (collected with the others in app/config.ts, read by config/index.ts). */
export const accountOptions = {
  smtpUrl: option<string>({
    env: 'GUESTPASS_SMTP_URL',
    default: undefined,
    defaultDoc: 'unset: mail goes to DATA_DIR/outbox',
    doc: 'SMTP server for verification and reset mail (`smtp://user:pass@host:587`, `smtps://…`). Unset, mail is written to a development outbox folder whose path is logged.',
    parse: (raw) => {
      const url = new URL(raw);
      if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('must be an smtp:// or smtps:// URL');
      return raw;
    },
  }),
  mailFrom: option({
    env: 'GUESTPASS_MAIL_FROM',
    default: 'Guestpass <no-reply@localhost>',
    doc: 'The From address of verification and reset mail.',
    parse: parseString,
  }),
  mergeStrategies: option<MergeStrategies>({
    env: 'GUESTPASS_MERGE_STRATEGIES',
    default: {},
    defaultDoc: '{} (every key prefer_account)',
    doc: 'How a guest’s metadata merges into an existing account, per top-level key: JSON such as `{"cart": {"strategy": "union", "id": "sku"}, "visits": "sum"}`. Strategies: prefer_account (default), prefer_guest, union, sum, latest. A client’s own setting wins.',
    parse: parseMergeStrategies,
  }),
  trustedIssuers: option<TrustedIssuer[]>({
    env: 'GUESTPASS_TRUSTED_ISSUERS',
    default: [],
    defaultDoc: '[] (ID-token linking off)',
    doc: 'OpenID Connect providers whose ID tokens POST /accounts/link/id-token accepts: JSON `[{"issuer": "https://accounts.example.com", "audience": "your-client-id"}]`. Discovery and JWKS are fetched from the issuer.',
    parse: parseTrustedIssuers,
  }),
  loginRateLimitPerAccount: option({
    env: 'GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT',
    default: 10,
    doc: 'Login attempts per account (e-mail address) per 15 minutes; beyond it, 429 with Retry-After.',
    parse: (raw) => parseInteger(raw, { min: 1, max: 1_000_000 }),
  }),
  loginRateLimitPerIp: option({
    env: 'GUESTPASS_LOGIN_RATE_LIMIT_PER_IP',
    default: 50,
    doc: 'Login and sign-up attempts per IP address per 15 minutes.',
    parse: (raw) => parseInteger(raw, { min: 1, max: 1_000_000 }),
  }),
  passwordHashCost: option<PasswordHashCost>({
    env: 'GUESTPASS_PASSWORD_HASH_COST',
    default: DEFAULT_PASSWORD_HASH_COST,
    defaultDoc: 'm=19456,t=2 (OWASP)',
    doc: 'argon2id cost of password hashes: `m=<memory in KiB>,t=<passes>`. Values weaker than OWASP’s minimum (m=7168,t=5 or the same memory × passes) are refused; `insecure:m=64,t=1` is for test suites only, whose hashes a stolen database gives up at once. Stored hashes keep their own cost and still verify.',
    parse: parsePasswordHashCost,
  }),
  erasureRecentLogin: option({
    env: 'GUESTPASS_ERASURE_RECENT_LOGIN',
    default: 300,
    doc: 'Seconds after a login (the access token’s `auth_time`) during which a registered user may delete itself (DELETE /accounts/me) without sending its password; 0 always asks for the password. Guests need only their token.',
    parse: (raw) => parseInteger(raw, { min: 0, max: 86_400 }),
  }),
} as const;

/** The values of the accounts feature's options, as the feature reads them. */
export type AccountConfig = OptionValues<typeof accountOptions>;
