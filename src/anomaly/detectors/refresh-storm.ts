import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { NONE } from './common.js';
import { SessionRateDetector } from './session-rate.js';

/**
 * One session refreshing far more often than sessions do: a script hammering the token
 * endpoint, or a stolen token and its owner racing each other. Two conditions, both needed:
 * at least `floor` refreshes in the window (two tabs refreshing together are 2), and a
 * modified z-score above `z_threshold` against the population's per-session refresh rates.
 */
export class RefreshStormDetector extends SessionRateDetector {
  readonly name = 'refresh_storm';

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'session.refreshed') return NONE;
    return this.count(input, context, 1, 'refreshes', { generation: input.generation });
  }
}
