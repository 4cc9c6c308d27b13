import type { RevocationChainConfig } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, sessionOf, type EngineDetector } from './common.js';
import { HOUR_MS, DAY_MS } from '../../shared/time.js';

/** A re-creation that soon would happen by chance this often on this network: not evidence. */
const COINCIDENCE = 0.1;
const RATE_MIN_SPAN_MS = 5 * 60_000;

interface NetworkChain {
  /** The last revocation on this network not yet followed by a session: its time and client. */
  revokedAt: number;
  revokedClient: string | undefined;
  /** How long that revoked session had lived, if it was created on this network (ms). */
  revokedLife: number | undefined;
  /** When the network was first seen: before an hour of it, its rate is over the time seen. */
  firstSeen: number;
  /**
   * Sessions created on this network, not as a link of a chain, in the current hour and the
   * one before: the rate at which it creates sessions anyway, against which a link is judged.
   */
  hour: number;
  created: number;
  previousCreated: number;
  /** The chain in the current window (links, evidence in nats) and the previous window's, decaying. */
  window: number;
  links: number;
  surprise: number;
  previousLinks: number;
  previousSurprise: number;
  flagged: boolean;
}

/**
 * A revocation chain: a session revoked (logged out, revoked by containment or an admin, ended
 * for reuse) and at once re-created from the same network for the same client, again and
 * again. A script does it to shed whatever was attached to the old session (a throttle, a
 * per-session rate, a quarantine); a person logs out and in again once. Each link weighs
 * what it says: the chance that anyone's session would have been created that soon after on
 * that network at its usual rate (−ln of it, in nats), so a busy carrier NAT, where sessions
 * are created every few seconds, builds no chain out of coincidences, while a quiet network
 * re-creating within a second of each revocation does. Reported per network.
 *
 * A person logs out of a session they have used, for minutes or days; a script's session
 * lives seconds. A revoked session that was created on the same network under `short_life_s`
 * before is a throwaway, and its re-creation is a whole turn of the loop: that link counts
 * twice and adds −ln(share of the deployment's sessions that end so young), learnt and
 * halved each day, so a chain is named at its first re-creation, half a cycle sooner, unless
 * quick logouts are common where the detector runs.
 */
export class RevocationChainDetector implements EngineDetector {
  readonly name = 'revocation_chain';
  private readonly networks: BoundedLru<string, NetworkChain>;
  /** The network of recently created sessions, for revocations that carry none (admin, containment). */
  private readonly sessions: BoundedLru<string, { prefix: string; created: number }>;
  private readonly windowMs: number;
  private readonly shortLifeMs: number;
  /** Sessions created and throwaways revoked (outside chains already counted), halved each day. */
  private created = 0;
  private shortLived = 0;
  private day = 0;

  constructor(private readonly config: RevocationChainConfig) {
    this.networks = new BoundedLru(config.max_prefixes);
    this.sessions = new BoundedLru(config.max_sessions);
    this.windowMs = config.window_s * 1000;
    this.shortLifeMs = config.short_life_s * 1000;
  }

  get approxBytes(): number {
    return this.networks.size * 210 + this.sessions.size * 150;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    this.age(input.time);
    if (input.type === 'session.revoked') {
      const known = this.sessions.peek(input.session_id);
      const prefix = input.network?.ip_prefix ?? known?.prefix;
      if (!prefix) return NONE;
      const state = this.stateFor(prefix, input.time);
      state.revokedAt = input.time;
      state.revokedClient = input.client_id;
      state.revokedLife = known?.prefix === prefix ? input.time - known.created : undefined;
      // A chain's own throwaways would teach that throwaways are usual: only the first counts.
      if (this.isShortLived(state) && state.links + state.previousLinks === 0) this.shortLived++;
      return NONE;
    }
    if (input.type !== 'session.created' || !input.network) return NONE;
    const prefix = input.network.ip_prefix;
    const sessionId = sessionOf(input);
    if (sessionId) this.sessions.set(sessionId, { prefix, created: input.time });
    this.created++;
    const state = this.stateFor(prefix, input.time);
    // The network's own rate over the last hour (or the time it has been seen, at least
    // RATE_MIN_SPAN): what a coincidence would have had to beat.
    const elapsedHour = (input.time % HOUR_MS) / HOUR_MS;
    const span = Math.min(HOUR_MS, Math.max(RATE_MIN_SPAN_MS, input.time - state.firstSeen));
    const rate = Math.max(1, state.created + state.previousCreated * (1 - elapsedHour)) / span;
    const delay = input.time - state.revokedAt;
    if (delay < 0 || delay > this.config.relink_s * 1000 || state.revokedClient !== input.client_id) {
      state.created++;
      return NONE;
    }
    state.revokedAt = Number.NEGATIVE_INFINITY;
    const chance = 1 - Math.exp(-rate * Math.max(1000, delay));
    // A link this likely by chance is a coincidence, not a link: a busy network adds nothing.
    if (chance > COINCIDENCE) {
      state.created++;
      return NONE;
    }
    const throwaway = this.isShortLived(state);
    state.links += throwaway ? 2 : 1;
    state.surprise += -Math.log(chance) + (throwaway ? -Math.log((this.shortLived + 1) / (this.created + 1)) : 0);
    if (state.flagged || context.isAllowListed({ kind: 'prefix', id: prefix }, input.time)) return NONE;
    const decay = Math.max(0, 1 - (input.time - state.window * this.windowMs) / this.windowMs);
    const links = state.links + state.previousLinks * decay;
    const surprise = state.surprise + state.previousSurprise * decay;
    if (links < this.config.min_links || surprise < this.config.surprise_floor) return NONE;
    state.flagged = true;
    // 0.5 at the floor, 1 at three times it.
    const score = Math.min(1, 0.5 + (0.5 * (surprise - this.config.surprise_floor)) / (2 * this.config.surprise_floor));
    return [
      finding(this.name, this.config, { kind: 'prefix', id: prefix }, input.time, score, {
        links: Math.round(links * 10) / 10,
        surprise_nats: Math.round(surprise * 10) / 10,
        surprise_floor: this.config.surprise_floor,
        last_delay_s: Math.round(delay / 100) / 10,
        ...(throwaway ? { revoked_session_lived_s: Math.round(state.revokedLife! / 1000) } : {}),
        sessions_per_hour: Math.round(rate * HOUR_MS * 10) / 10,
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }

  private isShortLived(state: NetworkChain): boolean {
    return state.revokedLife !== undefined && state.revokedLife <= this.shortLifeMs;
  }

  /** Halves the deployment-wide counts each day, so the share of throwaways follows what is recent. */
  private age(time: number): void {
    const day = Math.floor(time / DAY_MS);
    if (day <= this.day) return;
    const factor = 0.5 ** Math.min(64, day - this.day);
    this.created *= factor;
    this.shortLived *= factor;
    this.day = day;
  }

  private stateFor(prefix: string, time: number): NetworkChain {
    const hour = Math.floor(time / HOUR_MS);
    const window = Math.floor(time / this.windowMs);
    let state = this.networks.get(prefix);
    if (!state) {
      state = {
        revokedAt: Number.NEGATIVE_INFINITY,
        revokedClient: undefined,
        revokedLife: undefined,
        firstSeen: time,
        hour,
        created: 0,
        previousCreated: 0,
        window,
        links: 0,
        surprise: 0,
        previousLinks: 0,
        previousSurprise: 0,
        flagged: false,
      };
      this.networks.set(prefix, state);
      return state;
    }
    if (hour > state.hour) {
      state.previousCreated = hour === state.hour + 1 ? state.created : 0;
      state.created = 0;
      state.hour = hour;
    }
    if (window > state.window) {
      const adjacent = window === state.window + 1;
      state.previousLinks = adjacent ? state.links : 0;
      state.previousSurprise = adjacent ? state.surprise : 0;
      state.links = 0;
      state.surprise = 0;
      state.window = window;
      state.flagged = false;
    }
    return state;
  }
}
