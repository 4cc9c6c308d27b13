import type { SessionRateConfig } from '../config.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE, type EngineDetector } from './common.js';
import { SessionRate } from './session-rate.js';

/**
 * One session sending far more telemetry than sessions do: analytics poisoning or a bot
 * pumping events through a guest token. Counts every event offered in a batch (accepted and
 * rejected: a flood of invalid events is a flood too) per session per window, against at
 * least `floor` and the population's robust baseline.
 */
export class IngestionSpikeDetector implements EngineDetector {
  readonly name = 'ingestion_spike';
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
    if (input.type !== 'telemetry.ingested') return NONE;
    const entity = { kind: 'session', id: input.session_id } as const;
    const offered = input.accepted + input.rejected;
    if (offered <= 0) return NONE;
    const verdict = this.rate.add(input.session_id, input.time, offered, () => !context.isAllowListed(entity, input.time));
    if (!verdict) return NONE;
    return [
      finding(this.name, this.config, entity, input.time, verdict.score, {
        events: verdict.count,
        window_s: this.config.window_s,
        window_start: verdict.window_start,
        floor: this.config.floor,
        z: verdict.z ?? null,
        baseline: verdict.baseline ?? 'warming up',
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }
}
