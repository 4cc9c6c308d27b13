import type { CredentialStuffingConfig } from '../config.js';
import { HourOfWeekBaseline } from '../sketches/hour-of-week.js';
import { HyperLogLog } from '../sketches/hyperloglog.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import { modifiedZ, scoreFromZ } from '../sketches/robust.js';
import { hash32 } from '../../shared/hash.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding } from './common.js';
import { FailureBurst, type Burst } from './failure-burst.js';

/** Zero-failure windows learned after a gap, at most (a quiet night is not a week of zeros). */
const MAX_GAP_WINDOWS = 12;

interface ClientLogins {
  window: number;
  failures: number;
  previous: number;
  successes: number;
  accounts: HyperLogLog;
  prefixes: HyperLogLog;
  baseline: HourOfWeekBaseline;
  flagged: boolean;
  burst: FailureBurst;
}

/** Accounts whose last failure is remembered, to count each account's first failure only. */
const FAILING_ACCOUNTS = 65_536;

type LoginInput = Extract<DetectionInput, { type: 'login.failed' | 'login.succeeded' }>;

/**
 * Low-and-slow, distributed stuffing: a botnet spreads attempts over so many networks that
 * none of them crosses a per-network floor. Seen from the client being attacked it is still
 * plain: failed logins far above that client's usual for this hour of the week, coming from
 * many networks at once and aimed at many accounts. Requiring all three keeps a login outage
 * (many failures, few networks) and one user's typos (few accounts) quiet.
 *
 * Five-minute windows need a busy window to stand out, so a few attempts a minute took many
 * minutes to catch; the burst check (failure-burst.ts) judges the last minute of first
 * failures against the client's learned rate and catches those within about a minute.
 */
export class DistributedStuffing {
  private readonly clients: BoundedLru<string, ClientLogins>;
  private readonly windowMs: number;
  /** hash32(account_key) → time of its last failure (any client). */
  private readonly lastFailure = new BoundedLru<number, number>(FAILING_ACCOUNTS);

  constructor(
    private readonly config: CredentialStuffingConfig,
    private readonly coldFloorFactor: number,
  ) {
    this.clients = new BoundedLru(config.max_clients);
    this.windowMs = config.distributed.window_s * 1000;
  }

  get approxBytes(): number {
    return this.clients.size * (1024 + 256 + 2600 + 200 + FailureBurst.approxBytes) + this.lastFailure.size * 120;
  }

  observe(input: LoginInput, context: DetectionContext): Finding | undefined {
    const settings = this.config.distributed;
    const clientId = input.client_id ?? 'unknown';
    const window = Math.floor(input.time / this.windowMs);
    const state = this.stateFor(clientId, window, input.time, context);
    state.burst.advance(input.time, !context.isAllowListed({ kind: 'client', id: clientId }, input.time));
    if (input.type === 'login.succeeded') {
      state.successes++;
      return undefined;
    }
    state.failures++;
    state.accounts.add(input.account_key);
    if (input.network) state.prefixes.add(input.network.ip_prefix);
    const burst = this.firstFailure(input) ? state.burst.add(input.time, hash32(input.network?.ip_prefix ?? '')) : undefined;
    if (burst) {
      state.flagged = true;
      return this.burstFinding(clientId, input.time, burst);
    }
    if (state.flagged) return undefined;

    const elapsed = (input.time - window * this.windowMs) / this.windowMs;
    const failures = state.failures + state.previous * Math.max(0, 1 - elapsed);
    if (failures < settings.failures_floor) return undefined;
    const prefixes = state.prefixes.count();
    const accounts = state.accounts.count();
    if (prefixes < settings.prefixes_floor || accounts < settings.accounts_floor) return undefined;

    const expected = state.baseline.expected(input.time);
    let score: number;
    let z: number | null = null;
    if (expected) {
      const mad = Math.max(expected.mad, 0.6745 * Math.sqrt(expected.median));
      z = modifiedZ(failures, expected.median, mad, 1);
      if (z <= this.config.z_threshold) return undefined;
      score = scoreFromZ(z, this.config.z_threshold);
    } else {
      const coldFloor = settings.failures_floor * this.coldFloorFactor;
      if (this.coldFloorFactor === 0 || failures < coldFloor) return undefined;
      score = Math.min(1, 0.5 + (0.5 * (failures - coldFloor)) / coldFloor);
    }
    state.flagged = true;
    return finding('credential_stuffing', this.config, { kind: 'client', id: clientId }, input.time, score, {
      check: 'distributed',
      failures: Math.round(failures * 10) / 10,
      distinct_networks: prefixes,
      distinct_accounts: accounts,
      successes: state.successes,
      window_s: settings.window_s,
      window_start: window * this.windowMs,
      z: z === null ? null : Math.round(z * 100) / 100,
      expected: expected ? { median: Math.round(expected.median * 10) / 10, mad: Math.round(expected.mad * 10) / 10 } : 'warming up',
    });
  }

  /** Whether this is the account's first failure in `new_account_s` (one person's retries count once). */
  private firstFailure(input: LoginInput): boolean {
    const key = hash32(input.account_key);
    const last = this.lastFailure.get(key);
    this.lastFailure.set(key, input.time);
    return last === undefined || input.time - last > this.config.distributed.new_account_s * 1000;
  }

  private burstFinding(clientId: string, time: number, burst: Burst): Finding {
    const threshold = this.config.distributed.burst_p_value;
    // 0.5 at the threshold, 1 four orders of magnitude below it.
    const score = Math.min(1, 0.5 + Math.log10(threshold / Math.max(burst.p_value, 1e-300)) / 8);
    const found = finding('credential_stuffing', this.config, { kind: 'client', id: clientId }, time, score, {
      check: 'distributed_burst',
      window_s: burst.window_s,
      expected: burst.expected,
      p_value: Number(burst.p_value.toPrecision(2)),
      distinct_networks: burst.count,
    });
    // One alert per episode: a deployment-wide attack lasts hours, and hour windows would
    // fold the next attack into the alert of the one before.
    return { ...found, window_start: burst.episode_start };
  }

  /** The client's state for `window`, learning the windows that ended (zeros for quiet ones). */
  private stateFor(clientId: string, window: number, time: number, context: DetectionContext): ClientLogins {
    let state = this.clients.get(clientId);
    if (!state) {
      state = {
        window,
        failures: 0,
        previous: 0,
        successes: 0,
        accounts: new HyperLogLog(10),
        prefixes: new HyperLogLog(8),
        baseline: new HourOfWeekBaseline({ recentSize: 48, recentWarmup: this.config.distributed.warmup_windows }),
        flagged: false,
        burst: new FailureBurst(this.config.distributed),
      };
      this.clients.set(clientId, state);
      return state;
    }
    if (window <= state.window) return state;
    if (!state.flagged && !context.isAllowListed({ kind: 'client', id: clientId }, time)) {
      // Clipped at the alert threshold: an attack kept just under it must not raise the baseline
      // window by window until it looks normal (low-and-slow is exactly that attack).
      const closedAt = state.window * this.windowMs;
      const expected = state.baseline.expected(closedAt);
      const ceiling = expected
        ? expected.median + (this.config.z_threshold / 0.6745) * Math.max(expected.mad, 0.6745 * Math.sqrt(expected.median), 1)
        : Infinity;
      state.baseline.observe(Math.min(state.failures, ceiling), closedAt);
      const gap = Math.min(window - state.window - 1, MAX_GAP_WINDOWS);
      for (let i = 1; i <= gap; i++) state.baseline.observe(0, (state.window + i) * this.windowMs);
    }
    state.previous = window === state.window + 1 ? state.failures : 0;
    state.window = window;
    state.failures = 0;
    state.successes = 0;
    state.accounts.clear();
    state.prefixes.clear();
    state.flagged = false;
    return state;
  }
}
