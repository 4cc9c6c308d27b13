import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { NONE } from './common.js';
import { SessionRateDetector } from './session-rate.js';

/**
 * One session sending far more telemetry than sessions do: analytics poisoning or a bot
 * pumping events through a guest token. Counts every event offered in a batch (accepted and
 * rejected: a flood of invalid events is a flood too) per session per window, against at
 * least `floor` and the population's robust baseline.
 */
export class IngestionSpikeDetector extends SessionRateDetector {
  readonly name = 'ingestion_spike';

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'telemetry.ingested') return NONE;
    const offered = input.accepted + input.rejected;
    return offered > 0 ? this.count(input, context, offered, 'events') : NONE;
  }
}
