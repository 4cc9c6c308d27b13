import type { ScopeProbingConfig } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, prefixHash, type EngineDetector } from './common.js';

/** Distinct refused names kept per network and window: enough to pass any sane floor. */
const MAX_NAMES = 32;
/** Networks remembered per refused name, to tell a deployment-wide stale build from a probe. */
const MAX_NAME_NETWORKS = 8;

interface NetworkRefusals {
  window: number;
  /** Distinct refused scope names in this window. */
  names: Set<string>;
  /** Distinct names of the previous window (decays into this one). */
  previousNames: number;
  /** Refused requests in this window naming a scope few other networks are refused. */
  rare: number;
  previousRare: number;
  flagged: boolean;
}

/**
 * Someone probing for scopes (`scope.refused`): one network asking a client for scope after
 * scope it may not have (`admin`, `write`, `internal`...), to find what a token could be
 * made to carry. Two legitimate causes refuse scopes too, and are told apart by what was
 * refused and from where: an app build still asking for a scope an administrator removed
 * refuses the same one or two names from every network its users are on, and a developer's
 * typo refuses a name or two once. A network is reported when, within a window (the previous
 * one decaying into it), it was refused `distinct_floor` different names, or `request_floor`
 * requests naming scopes that fewer than `common_networks` networks were refused (a stale
 * build's name is refused everywhere, so retrying it from one carrier NAT is not probing).
 */
export class ScopeProbingDetector implements EngineDetector {
  readonly name = 'scope_probing';
  private readonly networks: BoundedLru<string, NetworkRefusals>;
  /** `client|name` → prefix hashes it was refused to recently (at most MAX_NAME_NETWORKS). */
  private readonly names: BoundedLru<string, { hashes: string[]; day: number }>;
  private readonly windowMs: number;

  constructor(private readonly config: ScopeProbingConfig) {
    this.networks = new BoundedLru(config.max_prefixes);
    this.names = new BoundedLru(config.max_prefixes);
    this.windowMs = config.window_s * 1000;
  }

  get approxBytes(): number {
    return this.networks.size * 400 + this.names.size * 200;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'scope.refused' || !input.network) return NONE;
    const prefix = input.network.ip_prefix;
    const window = Math.floor(input.time / this.windowMs);
    const state = this.stateFor(prefix, window);
    const hash = prefixHash(prefix);
    let rare = false;
    for (const name of input.refused) {
      if (state.names.size < MAX_NAMES) state.names.add(name);
      if (this.networksRefused(`${input.client_id ?? ''}|${name}`, hash, input.time) < this.config.common_networks) rare = true;
    }
    if (rare) state.rare++;
    if (state.flagged || context.isAllowListed({ kind: 'prefix', id: prefix }, input.time)) return NONE;
    const decay = Math.max(0, 1 - (input.time - window * this.windowMs) / this.windowMs);
    const distinct = state.names.size + state.previousNames * decay;
    const rareRequests = state.rare + state.previousRare * decay;
    const byNames = distinct / this.config.distinct_floor;
    const byRequests = rareRequests / this.config.request_floor;
    const ratio = Math.max(byNames, byRequests);
    if (ratio < 1) return NONE;
    state.flagged = true;
    // 0.6 at a floor, 1 at three times it.
    const score = Math.min(1, 0.6 + (0.4 * (ratio - 1)) / 2);
    return [
      finding(this.name, this.config, { kind: 'prefix', id: prefix }, input.time, score, {
        distinct_scopes: Math.round(distinct * 10) / 10,
        distinct_floor: this.config.distinct_floor,
        rare_refusals: Math.round(rareRequests * 10) / 10,
        request_floor: this.config.request_floor,
        window_s: this.config.window_s,
        grant: input.grant,
        last_refused: input.refused.slice(0, 5),
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }

  private stateFor(prefix: string, window: number): NetworkRefusals {
    let state = this.networks.get(prefix);
    if (!state) {
      state = { window, names: new Set(), previousNames: 0, rare: 0, previousRare: 0, flagged: false };
      this.networks.set(prefix, state);
    } else if (window > state.window) {
      const adjacent = window === state.window + 1;
      state.previousNames = adjacent ? state.names.size : 0;
      state.previousRare = adjacent ? state.rare : 0;
      state.names = new Set();
      state.rare = 0;
      state.window = window;
      state.flagged = false;
    }
    return state;
  }

  /** How many networks (up to MAX_NAME_NETWORKS) this client refused this name to within a day, this one included. */
  private networksRefused(key: string, hash: string, time: number): number {
    const day = Math.floor(time / 86_400_000);
    let seen = this.names.get(key);
    if (!seen || seen.day < day - 1) {
      seen = { hashes: [], day };
      this.names.set(key, seen);
    }
    if (!seen.hashes.includes(hash) && seen.hashes.length < MAX_NAME_NETWORKS) seen.hashes.push(hash);
    seen.day = day;
    return seen.hashes.length;
  }
}
