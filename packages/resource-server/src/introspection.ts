import { GuestpassAuthError } from './errors.js';

/**
 * Asking Guestpass whether a token is still active (RFC 7662), for APIs that must stop
 * accepting a revoked session's tokens before they expire. A signature check alone accepts a
 * token until `exp` (15 minutes by default).
 */
export interface IntrospectionOptions {
  /** A confidential client of Guestpass (introspection needs client authentication). */
  clientId: string;
  clientSecret: string;
  /** @default `${issuer}/oauth/introspect` */
  endpoint?: string;
  /**
   * Seconds an `active` answer is reused, never past the token's `exp`: a token revoked in
   * that window is still accepted until its answer ages out. `0` asks on every request.
   * An `inactive` answer is kept until the token expires (a revoked token never comes back).
   * @default 10
   */
  cacheTtl?: number;
  /** Most answers kept; the oldest go first. @default 10_000 */
  maxEntries?: number;
  /** Milliseconds to wait for Guestpass before refusing with 503. @default 5000 */
  timeout?: number;
}

interface CachedAnswer {
  active: boolean;
  expiresAtMs: number;
}

/** One per issuer and client: answers cached by the token's `jti`, one request in flight per token. */
export class Introspector {
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly endpoint: string;
  private readonly authorization: string;

  constructor(
    issuer: string,
    private readonly options: IntrospectionOptions,
    private readonly now: () => number,
  ) {
    this.endpoint = options.endpoint ?? `${issuer.replace(/\/$/, '')}/oauth/introspect`;
    // RFC 6749 §2.3.1: form-encode id and secret before joining them for HTTP Basic.
    const credentials = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  /** Whether Guestpass still considers the token active; `jti` and `exp` come from its verified claims. */
  async isActive(token: string, jti: string, expSeconds: number): Promise<boolean> {
    const now = this.now();
    const cached = this.answers.get(jti);
    if (cached && cached.expiresAtMs > now) return cached.active;
    let pending = this.inFlight.get(jti);
    if (!pending) {
      pending = this.ask(token).finally(() => this.inFlight.delete(jti));
      this.inFlight.set(jti, pending);
    }
    const active = await pending;
    this.store(jti, active, expSeconds * 1000);
    return active;
  }

  private async ask(token: string): Promise<boolean> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { authorization: this.authorization, accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(this.options.timeout ?? 5000),
      });
    } catch {
      throw new GuestpassAuthError('AUTHORIZATION_SERVER_UNAVAILABLE');
    }
    const body = (await response.json().catch(() => undefined)) as { active?: unknown } | undefined;
    // A refusal of our own credentials is the API's misconfiguration, not the caller's fault:
    // answer 503 rather than blame the token, and never cache it.
    if (!response.ok || typeof body?.active !== 'boolean') throw new GuestpassAuthError('AUTHORIZATION_SERVER_UNAVAILABLE');
    return body.active;
  }

  private store(jti: string, active: boolean, tokenExpiresAtMs: number): void {
    const ttlMs = (this.options.cacheTtl ?? 10) * 1000;
    const expiresAtMs = active ? Math.min(this.now() + ttlMs, tokenExpiresAtMs) : tokenExpiresAtMs;
    if (expiresAtMs <= this.now()) return;
    this.answers.delete(jti);
    this.answers.set(jti, { active, expiresAtMs });
    const max = this.options.maxEntries ?? 10_000;
    for (const key of this.answers.keys()) {
      if (this.answers.size <= max) break;
      this.answers.delete(key);
    }
  }
}
