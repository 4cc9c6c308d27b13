import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { GuestpassError } from '../../shared/errors.js';
import { cappedFetch, readCapped } from './capped-fetch.js';
import { idTokenError } from './error-codes.js';
import { isAllowedIssuerUrl, type TrustedIssuer } from './trusted-issuers.js';

/**
 * Signature algorithms an ID token may use. Only asymmetric ones: `none` proves nothing, and an
 * HS* token is keyed with the client secret at the provider, which Guestpass does not hold and
 * must not accept a substitute for (OpenID Connect Core §10.1, RFC 8725 §3.1).
 */
const ASYMMETRIC_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

/** What verifying a token from one issuer needs, learnt from its discovery document. */
export interface IssuerKeys {
  /** The issuer's advertised ID-token algorithms, narrowed to `ASYMMETRIC_ALGORITHMS`. */
  algorithms: string[];
  /** Its JWKS; jose caches the keys and refetches (with a cooldown) when a new `kid` appears. */
  keys: JWTVerifyGetKey;
}

export interface IssuerDirectoryOptions {
  fetch: typeof fetch;
  now: () => number;
  /** How long a discovery document is trusted before it is fetched again. @default 1 hour */
  ttlMs?: number;
  /** How long after a failed fetch the next one is attempted. @default 10 seconds */
  retryAfterMs?: number;
  /** Per request, for discovery and for the JWKS. @default 5 seconds */
  timeoutMs?: number;
  /** Largest discovery document or JWKS accepted. @default 256 KiB */
  maxBytes?: number;
}

type IssuerFailure = { code: 'ISSUER_UNAVAILABLE' | 'ISSUER_MISCONFIGURED'; message: string };

interface Entry {
  current?: { jwksUri: string; value: IssuerKeys };
  freshUntil: number;
  retryAt: number;
  failure?: IssuerFailure;
  pending?: Promise<IssuerKeys>;
}

/** Discovery (OpenID Connect Discovery §4) and JWKS of each trusted issuer, cached per issuer. */
export class IssuerDirectory {
  readonly #entries = new Map<string, Entry>();
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #retryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  constructor({ fetch: fetchImpl, now, ttlMs = 3_600_000, retryAfterMs = 10_000, timeoutMs = 5_000, maxBytes = 256 * 1024 }: IssuerDirectoryOptions) {
    this.#fetch = fetchImpl;
    this.#now = now;
    this.#ttlMs = ttlMs;
    this.#retryAfterMs = retryAfterMs;
    this.#timeoutMs = timeoutMs;
    this.#maxBytes = maxBytes;
  }

  /**
   * The issuer's algorithms and keys. Concurrent callers share one fetch. After a failure the
   * issuer is not asked again for `retryAfterMs`: keys learnt earlier keep serving meanwhile
   * (an outage at the provider does not stop linking), and without them the failure is repeated.
   */
  async resolve(trusted: TrustedIssuer): Promise<IssuerKeys> {
    const entry = this.#entries.get(trusted.issuer) ?? { freshUntil: 0, retryAt: 0 };
    this.#entries.set(trusted.issuer, entry);
    const now = this.#now();
    if (entry.current && now < entry.freshUntil) return entry.current.value;
    if (entry.pending) return entry.pending;
    if (now < entry.retryAt) {
      if (entry.current) return entry.current.value;
      throw this.#retryLater(entry, now);
    }
    entry.pending = this.#discover(trusted)
      .then(
        ({ jwksUri, algorithms }) => {
          // The same jwks_uri keeps its key set, so jose's cache and cooldown carry over.
          const keys = entry.current?.jwksUri === jwksUri ? entry.current.value.keys : this.#remoteKeys(jwksUri);
          entry.current = { jwksUri, value: { algorithms, keys } };
          entry.freshUntil = now + this.#ttlMs;
          entry.failure = undefined;
          return entry.current.value;
        },
        (error: unknown) => {
          entry.failure = asFailure(error);
          entry.retryAt = now + this.#retryAfterMs;
          if (entry.current) return entry.current.value;
          throw this.#retryLater(entry, now);
        },
      )
      .finally(() => {
        entry.pending = undefined;
      });
    return entry.pending;
  }

  #retryLater(entry: Entry, now: number): GuestpassError {
    const { code, message } = entry.failure ?? asFailure(undefined);
    const seconds = Math.max(1, Math.ceil((entry.retryAt - now) / 1000));
    return idTokenError(code, message, { 'Retry-After': String(seconds) });
  }

  async #discover(trusted: TrustedIssuer): Promise<{ jwksUri: string; algorithms: string[] }> {
    // Discovery §4: a terminating "/" of the issuer is removed before the well-known suffix.
    const url = `${trusted.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: unknown;
    try {
      // Redirects are refused: the document must be served at the issuer's own URL.
      const response = await this.#fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(this.#timeoutMs) });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`discovery answered ${response.status}`);
      }
      document = JSON.parse(Buffer.from(await readCapped(response, this.#maxBytes)).toString('utf8'));
    } catch (cause) {
      throw idTokenError('ISSUER_UNAVAILABLE', `${idTokenError.catalogue.ISSUER_UNAVAILABLE.description} (${url}: ${describe(cause)})`);
    }
    return checkDocument(trusted.issuer, document);
  }

  #remoteKeys(jwksUri: string): JWTVerifyGetKey {
    return createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: this.#timeoutMs,
      [customFetch]: cappedFetch(this.#fetch, this.#maxBytes),
    });
  }
}

/** The parts of a discovery document Guestpass relies on, each checked. */
function checkDocument(issuer: string, document: unknown): { jwksUri: string; algorithms: string[] } {
  const misconfigured = (what: string) =>
    idTokenError('ISSUER_MISCONFIGURED', `${idTokenError.catalogue.ISSUER_MISCONFIGURED.description} (${issuer}: ${what})`);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw misconfigured('the discovery document is not a JSON object');
  const { issuer: advertised, jwks_uri: jwksUri, id_token_signing_alg_values_supported: advertisedAlgorithms } = document as Record<string, unknown>;
  // Discovery §4.3: the issuer in the document MUST be identical to the one it was fetched for,
  // or one provider could stand in for another.
  if (advertised !== issuer) throw misconfigured('its issuer differs from the configured issuer');
  if (typeof jwksUri !== 'string' || !isAllowedJwksUri(jwksUri)) throw misconfigured('jwks_uri is missing or not an https URL');
  const algorithms = Array.isArray(advertisedAlgorithms)
    ? advertisedAlgorithms.filter((alg): alg is string => typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.has(alg))
    : [];
  if (algorithms.length === 0) throw misconfigured('id_token_signing_alg_values_supported lists no asymmetric algorithm');
  return { jwksUri, algorithms };
}

/** Same rule as for issuers (https, or http on loopback); a query string is allowed here. */
function isAllowedJwksUri(value: string): boolean {
  try {
    const url = new URL(value);
    return !url.hash && isAllowedIssuerUrl(url.origin);
  } catch {
    return false;
  }
}

function asFailure(error: unknown): IssuerFailure {
  if (error instanceof GuestpassError && error.code === 'ISSUER_MISCONFIGURED') return { code: 'ISSUER_MISCONFIGURED', message: error.message };
  if (error instanceof GuestpassError) return { code: 'ISSUER_UNAVAILABLE', message: error.message };
  return { code: 'ISSUER_UNAVAILABLE', message: idTokenError.catalogue.ISSUER_UNAVAILABLE.description };
}

/** A short reason for the logs; never a response body. */
function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message;
  return String(cause);
}
