import type { CredentialStuffingConfig } from '../config.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import { modifiedZ, RobustWindow, scoreFromZ } from '../sketches/robust.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, type EngineDetector } from './common.js';
import { DistributedStuffing } from './distributed-stuffing.js';

/** One network's logins in the current window (and the failures of the one before). */
interface NetworkLogins {
  window: number;
  failures: number;
  previous: number;
  successes: number;
  /** Distinct `account_key`s failing (keyed hashes of e-mail addresses, never addresses). */
  accounts: HyperLogLog;
  flagged: boolean;
}

/**
 * Credential stuffing and password spraying from one network: many failed logins (stuffing:
 * leaked pairs tried in bulk) or failures against many distinct accounts (spraying: a few
 * passwords tried on every account). Each is judged against an absolute floor and the
 * population of networks (median/MAD of log(1 + count) per network-window), so an office NAT
 * where a few people mistype stays quiet. The distributed, low-and-slow variant, where every
 * network stays under the floors, is judged per client (distributed-stuffing.ts).
 */
export class CredentialStuffingDetector implements EngineDetector {
  readonly name = 'credential_stuffing';
  private readonly networks: BoundedLru<string, NetworkLogins>;
  private readonly failuresBaseline = new RobustWindow(512);
  private readonly accountsBaseline = new RobustWindow(512);
  private readonly distributed: DistributedStuffing;
  private readonly windowMs: number;
  /** Networks with logins in the current window, learned when it closes. */
  private active: string[] = [];
  private window = -1;

  constructor(
    private readonly config: CredentialStuffingConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.networks = new BoundedLru(config.max_prefixes);
    this.distributed = new DistributedStuffing(config, coldFloorFactor);
    this.windowMs = config.window_s * 1000;
  }

  get approxBytes(): number {
    // Per network: the object, its HyperLogLog (128 registers) and the map entry.
    return this.networks.size * (128 + 64 + 96 + 80) + this.failuresBaseline.approxBytes * 2 + this.distributed.approxBytes;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'login.failed' && input.type !== 'login.succeeded') return NONE;
    const fromClient = this.distributed.observe(input, context);
    const fromNetwork = input.network ? this.network(input.network.ip_prefix, input, context) : undefined;
    if (!fromClient && !fromNetwork) return NONE;
    return fromClient && fromNetwork ? [fromNetwork, fromClient] : [(fromNetwork ?? fromClient)!];
  }

  private network(prefix: string, input: DetectionInput & { account_key: string }, context: DetectionContext): Finding | undefined {
    const window = Math.floor(input.time / this.windowMs);
    if (window > this.window) this.roll(window, input.time, context);
    let state = this.networks.get(prefix);
    if (!state) {
      state = { window, failures: 0, previous: 0, successes: 0, accounts: new HyperLogLog(7), flagged: false };
      this.networks.set(prefix, state);
      this.active.push(prefix);
    } else if (window > state.window) {
      state.previous = window === state.window + 1 ? state.failures : 0;
      state.window = window;
      state.failures = 0;
      state.successes = 0;
      state.accounts.clear();
      state.flagged = false;
      this.active.push(prefix);
    }
    if (input.type === 'login.succeeded') {
      state.successes++;
      return undefined;
    }
    state.failures++;
    state.accounts.add(input.account_key);
    if (state.flagged) return undefined;

    const elapsed = (input.time - window * this.windowMs) / this.windowMs;
    const failures = state.failures + state.previous * Math.max(0, 1 - elapsed);
    const accounts = state.accounts.count();
    const stuffing = this.judge(failures, this.config.failures_floor, this.failuresBaseline);
    const spraying = this.judge(accounts, this.config.accounts_floor, this.accountsBaseline);
    if (!stuffing && !spraying) return undefined;
    state.flagged = true;
    const score = Math.max(stuffing?.score ?? 0, spraying?.score ?? 0);
    return finding(this.name, this.config, { kind: 'prefix', id: prefix }, input.time, score, {
      check: stuffing && spraying ? 'stuffing_and_spraying' : stuffing ? 'stuffing' : 'spraying',
      failures: Math.round(failures * 10) / 10,
      distinct_accounts: accounts,
      successes: state.successes,
      window_s: this.config.window_s,
      window_start: window * this.windowMs,
      floors: { failures: this.config.failures_floor, accounts: this.config.accounts_floor },
      z: { failures: stuffing?.z ?? null, accounts: spraying?.z ?? null },
      ...(input.client_id ? { client_id: input.client_id } : {}),
      ...networkEvidence(input, context),
    });
  }

  /**
   * Closes the window for every network active in it: each one's failures and distinct
   * accounts (zero for networks that only logged in) join the population baselines, unless
   * the window was reported or the network is allow-listed. Their counters reset lazily.
   */
  private roll(window: number, time: number, context: DetectionContext): void {
    for (const prefix of this.active) {
      const state = this.networks.peek(prefix);
      if (!state || state.window !== this.window || state.flagged || context.isAllowListed({ kind: 'prefix', id: prefix }, time)) continue;
      this.failuresBaseline.add(Math.log1p(state.failures));
      this.accountsBaseline.add(Math.log1p(state.accounts.count()));
    }
    this.active = [];
    this.window = window;
  }

  /** Above the floor and far above the population (or, while it warms up, above the raised floor). */
  private judge(count: number, floor: number, baseline: RobustWindow): { score: number; z: number | null } | undefined {
    if (count < floor) return undefined;
    if (baseline.count < this.config.warmup_samples) {
      const coldFloor = floor * this.coldFloorFactor;
      if (this.coldFloorFactor === 0 || count < coldFloor) return undefined;
      return { score: Math.min(1, 0.5 + (0.5 * (count - coldFloor)) / coldFloor), z: null };
    }
    const { median, mad } = baseline.current();
    const z = modifiedZ(Math.log1p(count), median, mad, this.config.mad_floor);
    if (z <= this.config.z_threshold) return undefined;
    return { score: scoreFromZ(z, this.config.z_threshold), z: Math.round(z * 100) / 100 };
  }
}
