import type { DomainEvent } from '../../../src/events/types.js';
import { MINUTE, runVisit } from '../session-life.js';
import { attackerSpot, lastTime, logUniform, markAttacker, sessionEntities, victim, type AttackScenario } from './common.js';

/**
 * A refresh storm: a session that behaved normally for a while starts refreshing in a tight
 * loop, 20–240 times a minute for 3–15 minutes (a token-farming script, or a client stuck in
 * a retry loop). Every refresh is a valid rotation (no reuse); the server's per-IP token
 * limit (300/min) is not reached.
 */
export const refreshStorm: AttackScenario = {
  kind: 'refresh_storm',
  lead: (rng) => rng.between(5, 60) * MINUTE,
  run(ctx, rng, start, injected, id) {
    const { home, session } = victim(ctx, rng, start);
    const spot = rng.chance(0.4) ? attackerSpot(ctx, rng) : home;
    const device = { held: 0 };
    const events: DomainEvent[] = [session.created(Math.round(start), spot.network)];
    events.push(...runVisit(session, device, rng, { start, length: injected - start, spotAt: () => spot, resume: false, until: injected }).events);
    const rate = logUniform(rng, 20, 240);
    const length = rng.between(3, 15) * MINUTE;
    const storm: DomainEvent[] = [];
    for (let t = injected; t < injected + length; t += rng.exponential(MINUTE / rate)) {
      const outcome = session.refresh(Math.round(t), spot.network, device.held);
      storm.push(...outcome.events);
      if (!outcome.ok) break;
      device.held = outcome.generation;
    }
    events.push(...storm);
    const first = storm[0]?.time ?? injected;
    ctx.truth.label({
      id,
      kind: 'refresh_storm',
      injected: first,
      until: lastTime(storm, first),
      entities: sessionEntities(session),
      note: `${Math.round(rate)}/min for ${Math.round(length / MINUTE)} min from a ${spot.kind} /24`,
    });
    markAttacker(ctx, storm, first, new Set([spot.network.ip_prefix]));
    return events;
  },
};
