import assert from 'node:assert/strict';
import { replaySimulation } from './run.js';
import { ATTACK_KINDS, HARD_INVARIANT_KINDS } from './truth.js';

/**
 * The detection targets (docs/simulator.md) at the length CI can afford: 30 simulated hours (a
 * second day, so off-hours has its hour-of-day basis) at 10,000 sessions a day, seeds 1 and 2,
 * every attack kind in one run (off-hours does not learn what other detectors reported). The
 * full 168 h runs are what `npm run simulate -- --hours 168` reports. Asserted here: every
 * hard invariant caught with no false positive, every other kind ≥ 90% within a 60 s median.
 * The false-alert rate is printed, not asserted: at a quarter of the traffic the fixed-size
 * populations (classrooms, relays) and the learnt shared egresses weigh four times as much per
 * 10k sessions as at full scale, and the first day is the detectors' warm-up.
 */
/** Replays one seed with every attack kind at once and asserts the targets above. */
export async function assertTargets(seed: number): Promise<void> {
  const { report } = await replaySimulation({ seed, hours: 30, sessionsPerDay: 10_000, attacks: ATTACK_KINDS });
  for (const attack of report.attacks) {
    if (HARD_INVARIANT_KINDS.has(attack.kind)) {
      assert.equal(attack.detected, attack.injected, `${attack.kind}: all detected`);
      continue;
    }
    assert.ok(attack.detected >= 0.9 * attack.injected, `${attack.kind}: ${attack.detected}/${attack.injected} detected`);
    assert.ok(attack.median_ttd_s !== null && attack.median_ttd_s <= 60, `${attack.kind}: median ${attack.median_ttd_s} s`);
  }
  assert.equal(report.detail.hard_invariant_false_positives, 0);
  console.log(`seed ${seed}: ${report.false_alerts_per_10k} false alerts per 10k`, report.detail.false_alerts_by_detector);
}
