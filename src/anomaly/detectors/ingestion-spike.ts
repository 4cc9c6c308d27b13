import type { SessionRateConfig } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import { modifiedZ, RobustEwma, scoreFromZ } from '../sketches/robust.js';
import type { DetectionContext, DetectionInput, Finding } from '../types.js';
import { finding, networkEvidence, NONE } from './common.js';
import { SessionRateDetector } from './session-rate.js';

/** Server relays remembered (customers forwarding telemetry with a client-credentials token). */
const RELAYS = 1024;
/** Windows a relay's own baseline learns before it is trusted. */
const RELAY_WARMUP = 30;

interface RelayTraffic {
  window: number;
  count: number;
  flagged: boolean;
  baseline: RobustEwma;
}

/**
 * One session sending far more telemetry than sessions do: analytics poisoning or a bot
 * pumping events through a guest token. Counts every event offered in a batch (accepted and
 * rejected: a flood of invalid events is a flood too) per session per window, against at
 * least `floor` and the population's robust baseline.
 *
 * Two kinds of legitimate volume are judged by what they are, not by the population of
 * people's sessions:
 * - an app flushing an offline backlog sends hundreds of events in a minute whose `ts` span
 *   hours: a batch counts at the rate its events happened (`ts_span_s`), so a backlog of
 *   600 events over 3 hours weighs 3 a minute, and a pump (events of the last seconds) in full;
 * - a server relay (the "session" of a client-credentials token, whose subject is the client
 *   itself) forwards many people's events: it is compared with its own history, a robust
 *   EWMA of its log rate, and reported when it leaves that.
 */
export class IngestionSpikeDetector extends SessionRateDetector {
  readonly name = 'ingestion_spike';
  private readonly relays = new BoundedLru<string, RelayTraffic>(RELAYS);

  constructor(config: SessionRateConfig, coldFloorFactor: number) {
    super(config, coldFloorFactor);
  }

  override get approxBytes(): number {
    return super.approxBytes + this.relays.size * 160;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    if (input.type !== 'telemetry.ingested') return NONE;
    const offered = input.accepted + input.rejected;
    if (offered === 0) return NONE;
    const windowS = this.config.window_s;
    const span = input.ts_span_s ?? 0;
    const amount = span > windowS ? (offered * windowS) / span : offered;
    const extra = span > windowS ? { ts_span_s: span, backlog_events: offered } : {};
    if (input.client_id !== undefined && input.session_id === input.client_id) return this.relay(input, context, amount);
    return this.count(input, context, amount, 'events', extra);
  }

  private relay(input: DetectionInput & { session_id: string }, context: DetectionContext, amount: number): Finding[] {
    const window = Math.floor(input.time / (this.config.window_s * 1000));
    const entity = { kind: 'session', id: input.session_id } as const;
    let state = this.relays.get(input.session_id);
    if (!state) this.relays.set(input.session_id, (state = { window, count: 0, flagged: false, baseline: new RobustEwma(0.05) }));
    if (window > state.window) {
      if (!state.flagged && state.count > 0 && !context.isAllowListed(entity, input.time)) state.baseline.add(Math.log1p(state.count));
      state.window = window;
      state.count = 0;
      state.flagged = false;
    }
    state.count += amount;
    if (state.flagged || state.count < this.config.floor || state.baseline.count < RELAY_WARMUP) return NONE;
    const { level, scale } = state.baseline;
    const z = modifiedZ(Math.log1p(state.count), level, scale / 1.18, this.config.mad_floor);
    if (z <= this.config.z_threshold) return NONE;
    state.flagged = true;
    return [
      finding(this.name, this.config, entity, input.time, scoreFromZ(z, this.config.z_threshold), {
        events: Math.round(state.count),
        window_s: this.config.window_s,
        relay: true,
        z: Math.round(z * 100) / 100,
        baseline: { own_median_rate: Math.round(Math.expm1(level)), windows: state.baseline.count },
        ...(input.client_id ? { client_id: input.client_id } : {}),
        ...networkEvidence(input, context),
      }),
    ];
  }
}
