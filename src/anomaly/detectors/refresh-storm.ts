import type { SessionRateConfig } from '../config.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, type EngineDetector } from './common.js';
import { SessionRate } from './session-rate.js';

/**
 * One session refreshing far more often than sessions do: a script hammering the token
 * endpoint, or a stolen token and its owner racing each other. Two conditions, both needed:
 * at least `floor` refreshes in the window (two tabs refreshing together are 2), and a
 * modified z-score above `z_threshold` against the population's per-session refresh rates.
 */
export class RefreshStormDetector implements EngineDetector {
  readonly name = 'refresh_storm';
  private readonly rate: SessionRate;

  constructor(
    private readonly config: SessionRateConfig,
    coldFloorFactor: number,
  ) {
    this.rate = new SessionRate(config, coldFloorFactor);
  }

  get approxBytes(): number {
    return this.rate.approxBytes;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'session.refreshed') return NONE;
    const entity = { kind: 'session', id: input.session_id } as const;
    const verdict = this.rate.add(input.session_id, input.time, 1, () => !context.isAllowListed(entity, input.time));
    if (!verdict) return NONE;
    return [
      finding(this.name, this.config, entity, input.time, verdict.score, {
        refreshes: verdict.count,
        window_s: this.config.window_s,
        window_start: verdict.window_start,
        floor: this.config.floor,
        z: verdict.z ?? null,
        baseline: verdict.baseline ?? 'warming up',
        generation: input.generation,
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }
}
