import type { UserCodeGuessingConfig } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, type EngineDetector } from './common.js';

/** One network's wrong user codes in the current window, and in the one before. */
interface NetworkGuesses {
  window: number;
  count: number;
  previous: number;
  flagged: boolean;
}

/**
 * Someone guessing RFC 8628 user codes (§5.1): wrong codes typed at the verification page
 * (`device.user_code_rejected`) from one network, counted in a window into which the previous
 * window decays, so a burst across a boundary is not cut in two. A person mistypes a code once
 * or twice and then reads it again; guessing needs thousands of tries, so a floor well above a
 * person and well below the page's per-address limit over a window is enough, with no baseline
 * to learn. One finding per network and window.
 */
export class UserCodeGuessingDetector implements EngineDetector {
  readonly name = 'user_code_guessing';
  private readonly networks: BoundedLru<string, NetworkGuesses>;
  private readonly windowMs: number;

  constructor(private readonly config: UserCodeGuessingConfig) {
    this.networks = new BoundedLru(config.max_prefixes);
    this.windowMs = config.window_s * 1000;
  }

  get approxBytes(): number {
    return this.networks.size * (64 + 96);
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'device.user_code_rejected' || !input.network) return NONE;
    const prefix = input.network.ip_prefix;
    const window = Math.floor(input.time / this.windowMs);
    let state = this.networks.get(prefix);
    if (!state) {
      state = { window, count: 0, previous: 0, flagged: false };
      this.networks.set(prefix, state);
    } else if (window > state.window) {
      state.previous = window === state.window + 1 ? state.count : 0;
      state.window = window;
      state.count = 0;
      state.flagged = false;
    }
    state.count++;
    if (state.flagged || context.isAllowListed({ kind: 'prefix', id: prefix }, input.time)) return NONE;
    const elapsed = (input.time - window * this.windowMs) / this.windowMs;
    const guesses = state.count + state.previous * Math.max(0, 1 - elapsed);
    const floor = this.config.prefix_floor;
    if (guesses < floor) return NONE;
    state.flagged = true;
    // 0.6 at the floor, 1 at three times it.
    const score = Math.min(1, 0.6 + (0.4 * (guesses - floor)) / (2 * floor));
    return [
      finding(this.name, this.config, { kind: 'prefix', id: prefix }, input.time, score, {
        wrong_codes: Math.round(guesses * 10) / 10,
        floor,
        window_s: this.config.window_s,
        last_reason: input.reason,
        ...networkEvidence(input, context),
      }),
    ];
  }
}
