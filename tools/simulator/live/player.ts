import type { DomainEvent } from '../../../src/events/types.js';
import { hostIn } from '../places/index.js';
import type { LiveHttp } from './http.js';

/** What the player knows of one simulated session once the server has created it. */
interface LiveSession {
  realSessionId: string;
  realUserId: string;
  /** Session tokens by generation, as the server returned them. */
  tokens: Map<number, string>;
  accessToken: string;
  /** Once a request the simulation expected to succeed fails (containment, expiry), the rest are skipped. */
  broken: boolean;
}

export interface PlayerStats {
  played: number;
  skipped: Map<string, number>;
  unexpected: Map<string, number>;
}

/**
 * Turns the simulated events back into the HTTP requests that cause them, and plays them:
 * `session.created` is POST /anonymous/token, `session.refreshed` (generation g) a refresh
 * presenting the token of generation g − 1, `token.reused` a refresh presenting the older
 * generation it names, `session.client_mismatch` the current token sent with another client
 * id, `session.metadata_updated` a PATCH, a logout a POST /anonymous/logout, `login.failed`
 * a wrong password at /accounts/login. Each request comes from a host inside the event's /24
 * (X-Forwarded-For). Requests of one session are sent in order, one at a time; sessions run
 * concurrently. Events that are consequences of another request (a revocation by reuse) or
 * that need what the server does not offer here (telemetry, accounts) are counted as skipped.
 */
export class LivePlayer {
  readonly sessions = new Map<string, LiveSession>();
  /** Real ids → simulated ids, to read the server's alerts back in the simulation's terms. */
  readonly simIdOf = new Map<string, string>();
  readonly stats: PlayerStats = { played: 0, skipped: new Map(), unexpected: new Map() };
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly http: LiveHttp,
    /** Simulated client id → the id of the client created on the server for it. */
    private readonly clientIds: Map<string, string>,
    private readonly loginRoute: boolean,
  ) {}

  /** Starts the request(s) for one event; per session, after the previous one finished. */
  play(event: DomainEvent): void {
    const key = 'session_id' in event && event.session_id ? event.session_id : `free:${this.stats.played}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.send(event)).catch((error: unknown) => this.count(this.stats.unexpected, `${event.type}: ${String(error)}`));
    this.chains.set(key, next);
    this.inFlight.add(next);
    void next.finally(() => {
      this.inFlight.delete(next);
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async send(event: DomainEvent): Promise<void> {
    const from = event.network
      ? hostIn(
          event.network.ip_prefix,
          1 + (hash(('session_id' in event && event.session_id) || ('account_key' in event ? event.account_key : '') || String(event.time)) % 254),
        )
      : undefined;
    const client = event.client_id ? this.clientIds.get(event.client_id) : undefined;
    switch (event.type) {
      case 'session.created': {
        if (!client) return this.skip(event.type);
        // A login's session is created by /accounts/login; guest-only traffic has none.
        const result = await this.http.call('POST', '/anonymous/token', { from, json: { client_id: client } });
        if (result.status !== 200) return this.unexpected(event.type, result.status, result.body);
        this.stats.played += 1;
        const sessionToken = String(result.body['session_token']);
        const live: LiveSession = {
          realSessionId: String(result.body['session_id']),
          realUserId: String(result.body['user_id']),
          tokens: new Map([[0, sessionToken]]),
          accessToken: String(result.body['access_token']),
          broken: false,
        };
        this.sessions.set(event.session_id, live);
        this.simIdOf.set(`session:${live.realSessionId}`, event.session_id);
        if (event.subject) this.simIdOf.set(`user:${live.realUserId}`, event.subject);
        return;
      }
      case 'session.refreshed':
        return this.refresh(event, event.generation - 1, client, from, 200, event.generation);
      case 'token.reused':
        return this.refresh(event, event.presented_generation, client, from, 400);
      case 'session.client_mismatch': {
        const live = this.sessions.get(event.session_id);
        return this.refresh(event, live ? Math.max(...live.tokens.keys()) : 0, client, from, 400);
      }
      case 'session.metadata_updated': {
        const live = this.usable(event);
        if (!live) return;
        const result = await this.http.call('PATCH', '/anonymous/session/metadata', {
          from,
          bearer: live.accessToken,
          json: { simulated: { bytes: event.metadata_bytes } },
          contentType: 'application/merge-patch+json',
        });
        return result.status === 200 ? void (this.stats.played += 1) : this.unexpected(event.type, result.status, result.body);
      }
      case 'session.revoked': {
        // Reuse and mismatch revoke as a consequence of the request that caused them.
        if (event.reason !== 'logout') return this.skip(`session.revoked (${event.reason}, a consequence)`);
        const live = this.usable(event);
        if (!live) return;
        const result = await this.http.call('POST', '/anonymous/logout', { from, bearer: live.accessToken });
        live.broken = true;
        return result.status === 204 ? void (this.stats.played += 1) : this.unexpected(event.type, result.status, result.body);
      }
      case 'login.failed': {
        if (!this.loginRoute) return this.skip('login.failed (the server has no /accounts/login)');
        const someClient = this.clientIds.values().next().value as string;
        const result = await this.http.call('POST', '/accounts/login', {
          from,
          json: {
            client_id: someClient,
            email: `${event.account_key.toLowerCase().replace(/[^a-z0-9]/g, '')}@simulated.invalid`,
            password: 'not-the-password-1',
          },
        });
        // 401/400 is the wrong password the simulation meant; 429 is the server's own limit.
        return result.status === 401 || result.status === 400 ? void (this.stats.played += 1) : this.unexpected(event.type, result.status, result.body);
      }
      default:
        return this.skip(event.type);
    }
  }

  private async refresh(
    event: DomainEvent & { session_id: string },
    presented: number,
    client: string | undefined,
    from: string | undefined,
    expected: number,
    expectGeneration?: number,
  ): Promise<void> {
    const live = this.usable(event);
    if (!live || !client) return;
    const token = live.tokens.get(presented);
    if (!token) return this.skip(`${event.type} (token of generation ${presented} never received)`);
    const result = await this.http.call('POST', '/oauth/token', { from, form: { grant_type: 'refresh_token', client_id: client, refresh_token: token } });
    if (result.status !== expected) return this.unexpected(event.type, result.status, result.body, live);
    this.stats.played += 1;
    if (result.status === 200 && expectGeneration !== undefined) {
      if (!live.tokens.has(expectGeneration)) live.tokens.set(expectGeneration, String(result.body['session_token']));
      live.accessToken = String(result.body['access_token']);
    }
  }

  private usable(event: DomainEvent & { session_id: string }): LiveSession | undefined {
    const live = this.sessions.get(event.session_id);
    if (!live) {
      this.skip(`${event.type} (session never created live)`);
      return undefined;
    }
    if (live.broken) {
      this.skip(`${event.type} (session already failed live)`);
      return undefined;
    }
    return live;
  }

  private skip(reason: string): void {
    this.count(this.stats.skipped, reason);
  }

  private unexpected(type: string, status: number, body: Record<string, unknown>, live?: LiveSession): void {
    if (live) live.broken = true;
    this.count(this.stats.unexpected, `${type} → ${status} ${String(body['error'] ?? '')}`.trim());
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** FNV-1a: a stable host number per session or account inside its /24. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
