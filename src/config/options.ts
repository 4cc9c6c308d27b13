/**
 * The server-wide Guestpass options, declared once: their environment variable, default, how
 * each is parsed and what it is for. `guestpass serve` flags are the same names in kebab case
 * (`GUESTPASS_DATA_DIR` ↔ `--data-dir`). Each feature declares its own options in its folder
 * (`options.ts`); app/config.ts collects them all, and the README's configuration table is
 * generated from that list (`npm run docs`), which a test keeps in step.
 */
import { option } from './option.js';
import { parseBoolean, parseDuration, parseInteger, parseEnum, parseList, parseListenAddress, parseString } from './parsers.js';

/** Server-wide options; each feature declares its own in its folder (`options.ts`). */
export const coreOptions = {
  port: option({
    env: 'GUESTPASS_PORT',
    default: 4455,
    doc: 'TCP port to listen on. 0 picks a free port; the server prints the address it got.',
    parse: (raw) => parseInteger(raw, { min: 0, max: 65535 }),
  }),
  host: option({
    env: 'GUESTPASS_HOST',
    default: '127.0.0.1',
    doc: 'Address to bind. Use 0.0.0.0 (or ::) to accept connections from other machines.',
    parse: parseString,
  }),
  issuer: option<string>({
    env: 'GUESTPASS_ISSUER',
    default: undefined,
    defaultDoc: 'http://HOST:PORT',
    doc: 'The `iss` of every token and the base of every URL in the discovery document. Set it to the public https URL in production.',
    parse: (raw) => {
      const url = new URL(raw);
      if (url.search || url.hash) throw new Error('must not have a query or fragment');
      return raw.replace(/\/+$/, '');
    },
  }),
  dataDir: option({
    env: 'GUESTPASS_DATA_DIR',
    default: './.guestpass',
    doc: 'Folder for the embedded SQLite database and the generated master key.',
    parse: parseString,
  }),
  databaseUrl: option<string>({
    env: 'GUESTPASS_DATABASE_URL',
    default: undefined,
    defaultDoc: 'sqlite file DATA_DIR/guestpass.db',
    doc: 'Database to use: `postgres://…` selects PostgreSQL; `sqlite:PATH` or a plain path selects SQLite.',
    parse: parseString,
  }),
  databaseSchema: option({
    env: 'GUESTPASS_DATABASE_SCHEMA',
    default: 'public',
    doc: 'PostgreSQL only: the schema that holds Guestpass tables (created if missing), so Guestpass can share a database with your application.',
    parse: (raw) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) throw new Error('must be a lower-case SQL identifier');
      return raw;
    },
  }),
  databasePoolSize: option({
    env: 'GUESTPASS_DATABASE_POOL_SIZE',
    default: 10,
    doc: "PostgreSQL only: the most connections one node opens. Telemetry group-commits (one connection per commit) and token requests hold a connection for a query at a time, so about 2 to 4 per core of the node is enough; more only queue inside PostgreSQL. Keep nodes × pool size under the server's max_connections (100 by default) minus what other clients need, or put PgBouncer (transaction mode) in front.",
    parse: (raw) => parseInteger(raw, { min: 1, max: 1000 }),
  }),
  masterKey: option<string>({
    env: 'GUESTPASS_MASTER_KEY',
    default: undefined,
    defaultDoc: 'generated into DATA_DIR/master.key (warned about)',
    doc: '32 random bytes, base64url (`openssl rand -base64 32`). Encrypts private keys at rest. Keep it outside the data folder in production.',
    parse: (raw) => {
      const bytes = Buffer.from(raw, 'base64url');
      if (bytes.length !== 32) throw new Error('must be 32 bytes encoded as base64 or base64url');
      return raw;
    },
  }),
  logLevel: option({
    env: 'GUESTPASS_LOG_LEVEL',
    default: 'info' as const,
    doc: 'pino log level. Tokens, secrets, e-mail addresses and raw IP addresses are never logged at any level.',
    parse: (raw) => parseEnum(raw, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
  }),
  trustedProxies: option<string[] | number>({
    env: 'GUESTPASS_TRUSTED_PROXIES',
    default: [],
    defaultDoc: 'none',
    doc: 'Which `X-Forwarded-For` hops to believe: a number of hops, or a comma-separated list of proxy addresses and CIDR ranges. With none, the socket address is the client.',
    parse: (raw) => (/^\d+$/.test(raw.trim()) ? parseInteger(raw, { min: 0, max: 32 }) : parseList(raw)),
  }),
  signingAlg: option({
    env: 'GUESTPASS_SIGNING_ALG',
    default: 'ES256' as const,
    doc: 'Algorithm for new signing keys: ES256 (P-256) or EdDSA (Ed25519). Applies at the next key generation or rotation.',
    parse: (raw) => parseEnum(raw, ['ES256', 'EdDSA'] as const),
  }),
  accessTokenTtl: option({
    env: 'GUESTPASS_ACCESS_TOKEN_TTL',
    default: 900,
    doc: 'Default access-token lifetime in seconds (or 15m, 1h); a client may set its own. At most 1 hour.',
    parse: (raw) => parseDuration(raw, { min: 30, max: 3600 }),
  }),
  keyRefreshInterval: option({
    env: 'GUESTPASS_KEY_REFRESH_INTERVAL',
    default: 30,
    doc: 'Seconds between re-reads of the key table, so a rotation made by the CLI or another node is picked up.',
    parse: (raw) => parseDuration(raw, { min: 0.05, max: 3600 }),
  }),
  keyActivationDelay: option<number | undefined>({
    env: 'GUESTPASS_KEY_ACTIVATION_DELAY',
    default: undefined,
    defaultDoc: 'KEY_REFRESH_INTERVAL + 90',
    doc: 'Seconds from `keys rotate` until the new key signs access tokens (or seals session tokens). It is published at once, so by then every node has loaded it (key refresh interval) and every cached JWKS holds it (we send max-age=60); the default adds 30 s of margin. `keys rotate --now` skips the wait.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 86400 }),
  }),
  clientCacheTtl: option({
    env: 'GUESTPASS_CLIENT_CACHE_TTL',
    default: 5,
    doc: 'Seconds a node keeps a client and its secret hashes in memory (0 disables). Changes made through this node or on the same SQLite file apply at once; on PostgreSQL another node notices within this time.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 300 }),
  }),
  tokenRateLimitPerIp: option({
    env: 'GUESTPASS_TOKEN_RATE_LIMIT_PER_IP',
    default: 300,
    doc: 'Token-endpoint requests per minute from one IP address (0 disables).',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  tokenRateLimitPerClient: option({
    env: 'GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT',
    default: 1200,
    doc: 'Token-endpoint requests per minute for one client (0 disables).',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  guestRateLimitPerIp: option({
    env: 'GUESTPASS_GUEST_RATE_LIMIT_PER_IP',
    default: 60,
    doc: 'Guest-session creations per minute from one IP address (0 disables). A visitor needs one; 60 leaves room for a busy shared address.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  guestRateLimitPerPrefix: option({
    env: 'GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX',
    default: 600,
    doc: 'Guest-session creations per minute from one /24 (IPv4) or /48 (IPv6) network (0 disables): carrier NAT and offices stay under it, a sign-up flood does not.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  guestRateLimitPerClient: option({
    env: 'GUESTPASS_GUEST_RATE_LIMIT_PER_CLIENT',
    default: 30000,
    doc: 'Guest-session creations per minute for one client (0 disables), a ceiling on the damage of a distributed flood.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  dpopRequireNonce: option({
    env: 'GUESTPASS_DPOP_REQUIRE_NONCE',
    default: false,
    doc: 'Require a server-provided nonce in every DPoP proof (RFC 9449 §8); clients retry once on use_dpop_nonce. Limits pre-generated proofs.',
    parse: parseBoolean,
  }),
  bodyLimit: option({
    env: 'GUESTPASS_BODY_LIMIT',
    default: 1_048_576,
    doc: 'Largest request body in bytes, unless an endpoint sets less.',
    parse: (raw) => parseInteger(raw, { min: 1024, max: 16 * 1_048_576 }),
  }),
  jsonMaxDepth: option({
    env: 'GUESTPASS_JSON_MAX_DEPTH',
    default: 32,
    doc: 'Deepest nesting of objects and arrays accepted in client JSON (bodies, merge patches, metadata and events in form fields); deeper JSON gets 400 before anything walks it.',
    parse: (raw) => parseInteger(raw, { min: 4, max: 256 }),
  }),
  headersTimeout: option({
    env: 'GUESTPASS_HEADERS_TIMEOUT',
    default: 10,
    doc: 'Seconds a client has to send the request line and headers (at most the request timeout), counted from the start of the request; then 408 and the connection is closed.',
    parse: (raw) => parseDuration(raw, { min: 0.05, max: 600 }),
  }),
  requestTimeout: option({
    env: 'GUESTPASS_REQUEST_TIMEOUT',
    default: 30,
    doc: 'Seconds a client has to send a whole request, body included; then 408 and the connection is closed, so slow senders cannot hold connections. Time spent answering does not count.',
    parse: (raw) => parseDuration(raw, { min: 0.05, max: 3600 }),
  }),
  keepAliveTimeout: option({
    env: 'GUESTPASS_KEEP_ALIVE_TIMEOUT',
    default: 72,
    doc: 'Seconds an idle keep-alive connection stays open. Longer than the idle timeout of common load balancers (60 s), so they close first and never send on a connection we are closing.',
    parse: (raw) => parseDuration(raw, { min: 0.05, max: 3600 }),
  }),
  shutdownTimeout: option({
    env: 'GUESTPASS_SHUTDOWN_TIMEOUT',
    default: 20,
    doc: "Seconds a stopping server (SIGTERM) waits for in-flight requests before it closes the connections still open. Keep it below the orchestrator's grace period (30 s in Kubernetes).",
    parse: (raw) => parseDuration(raw, { min: 0, max: 600 }),
  }),
  metricsAddress: option<{ host: string; port: number } | undefined>({
    env: 'GUESTPASS_METRICS_ADDRESS',
    default: undefined,
    defaultDoc: 'unset: /metrics on the main port',
    doc: 'Serve /metrics on a listener of its own, HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), and not on the main port: its labels describe traffic, so keep it where only the scraper reaches it.',
    parse: parseListenAddress,
  }),
  metricsToken: option<string | undefined>({
    env: 'GUESTPASS_METRICS_TOKEN',
    default: undefined,
    defaultDoc: 'unset: no token',
    doc: 'A secret of at least 32 characters (`openssl rand -base64 32`) that /metrics requires as "Authorization: Bearer <token>" (401 otherwise), wherever it is served.',
    parse: (raw) => {
      if (raw.trim().length < 32) throw new Error('must be at least 32 characters');
      return raw.trim();
    },
  }),
  devClients: option({
    env: 'GUESTPASS_DEV_CLIENTS',
    default: true,
    doc: 'On the first start with an empty database, create a development public client and a confidential client and print how to use them.',
    parse: parseBoolean,
  }),
} as const;
