import type { DomainEvent, NetworkInfo } from '../../src/events/types.js';

/**
 * What the server emits, modelled step for step on sessions/service.ts, so that simulated
 * traffic carries exactly the events a real server would: a near-simultaneous refresh of the
 * same token inside the client's grace window is a second `session.refreshed` at the same
 * generation (no `token.reused`); an older token revokes the session (`session.revoked`, then
 * `token.reused`); a token presented by another client revokes it and emits
 * `session.client_mismatch`; a revoked session's refreshes fail without any event.
 */

/** A registered application as the simulator needs it. */
export interface SimClient {
  id: string;
  /** guest.refresh_grace in seconds (clients/guest-settings.ts; the server's default is 10). */
  refreshGraceS: number;
}

export interface RefreshOutcome {
  ok: boolean;
  /** The generation the caller holds afterwards (unchanged on failure). */
  generation: number;
  events: DomainEvent[];
}

export class SimSession {
  generation = 0;
  lastRefreshedAt: number | undefined;
  revoked = false;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly client: SimClient,
    /** A registered user's session (a login, a promoted guest): `is_anonymous: false` on its events, as the server sends. */
    readonly registered = false,
  ) {}

  created(time: number, network: NetworkInfo): DomainEvent {
    return { type: 'session.created', ...this.base(time, network), is_anonymous: !this.registered };
  }

  /** POST /oauth/token grant_type=refresh_token with a token of generation `presented`, by `client`. */
  refresh(time: number, network: NetworkInfo, presented = this.generation, client: SimClient = this.client): RefreshOutcome {
    const fail = (events: DomainEvent[] = []): RefreshOutcome => ({ ok: false, generation: presented, events });
    if (client.id !== this.client.id) {
      // RFC 6749 §6: a refresh token is bound to the client it was issued to.
      const events = this.revoke(time, network, 'client_mismatch');
      events.push({ type: 'session.client_mismatch', ...this.base(time, network), client_id: client.id, session_client_id: this.client.id });
      return fail(events);
    }
    if (!this.revoked && presented === this.generation) {
      this.generation += 1;
      this.lastRefreshedAt = time;
      return { ok: true, generation: this.generation, events: [this.refreshed(time, network)] };
    }
    if (this.revoked) return fail();
    const graceMs = this.client.refreshGraceS * 1000;
    if (presented === this.generation - 1 && graceMs > 0 && time - (this.lastRefreshedAt ?? 0) <= graceMs) {
      return { ok: true, generation: this.generation, events: [this.refreshed(time, network)] };
    }
    if (presented > this.generation) return fail();
    // RFC 9700 §4.14.2: a rotated refresh token presented again revokes the whole session.
    const events = this.revoke(time, network, 'token_reused');
    events.push({ type: 'token.reused', ...this.base(time, network), presented_generation: presented, current_generation: this.generation });
    return fail(events);
  }

  /** Revocation (logout, reuse, mismatch): an event only the first time. */
  revoke(time: number, network: NetworkInfo, reason: string): DomainEvent[] {
    if (this.revoked) return [];
    this.revoked = true;
    return [{ type: 'session.revoked', ...this.base(time, network), reason }];
  }

  /** `tsSpanS`: seconds between the oldest and newest `ts` of the batch (an offline backlog spans hours). */
  telemetry(time: number, network: NetworkInfo, accepted: number, rejected: number, tsSpanS?: number): DomainEvent {
    return { type: 'telemetry.ingested', ...this.base(time, network), accepted, rejected, ...(tsSpanS !== undefined ? { ts_span_s: tsSpanS } : {}) };
  }

  metadataUpdated(time: number, network: NetworkInfo, bytes: number): DomainEvent {
    return { type: 'session.metadata_updated', ...this.base(time, network), metadata_bytes: bytes };
  }

  private refreshed(time: number, network: NetworkInfo): DomainEvent {
    return { type: 'session.refreshed', ...this.base(time, network), generation: this.generation, is_anonymous: !this.registered };
  }

  private base(time: number, network: NetworkInfo) {
    return { time, client_id: this.client.id, subject: this.userId, session_id: this.id, network };
  }
}

/**
 * The server's limiter (ratelimit/limiter.ts): a sliding-window counter in which refused
 * requests do not count. Synchronous, for event time. Requests it refuses get a 429 and emit
 * no event, so what a flood or a stuffing run shows the detectors is what gets through.
 */
export class SimLimiter {
  private readonly windows = new Map<string, { start: number; current: number; previous: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  hit(key: string, now: number): boolean {
    const windowStart = now - (now % this.windowMs);
    let w = this.windows.get(key);
    if (!w || w.start <= windowStart - 2 * this.windowMs) w = { start: windowStart, current: 0, previous: 0 };
    else if (w.start < windowStart) w = { start: windowStart, current: 0, previous: w.start === windowStart - this.windowMs ? w.current : 0 };
    this.windows.set(key, w);
    const estimated = w.previous * (1 - (now - windowStart) / this.windowMs) + w.current;
    if (estimated + 1 > this.limit) return false;
    w.current += 1;
    return true;
  }
}

/** The server's defaults (config/options.ts, accounts/options.ts) that shape what attacks emit. */
export const SERVER_LIMITS = {
  guestCreationsPerIpPerMinute: 60,
  guestCreationsPerPrefixPerMinute: 600,
  tokenRequestsPerIpPerMinute: 300,
  accountAttemptsPerIpPer15Min: 50,
  loginAttemptsPerAccountPer15Min: 10,
} as const;
