import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import { SimSession } from '../server-model.js';
import { MINUTE } from '../session-life.js';
import { attackerSpot, lastTime, logUniform, markAttacker, type AttackScenario } from './common.js';

/**
 * Session cycling (a revocation chain): a script farms guest sessions from one network,
 * pushing events through each for 10–90 s, then logs it out and at once (0.2–5 s) starts
 * the next one, for 20–60 minutes, so that no session lives long enough for a per-session
 * rate, a throttle or a quarantine to stick. Named by its network.
 */
export const sessionCycling: AttackScenario = {
  kind: 'session_cycling',
  lead: () => 0,
  run(ctx, rng, _start, injected, id) {
    const spot = attackerSpot(ctx, rng);
    const client = rng.chance(0.6) ? ctx.clients.web : ctx.clients.mobile;
    const life = logUniform(rng, 10, 90) * 1000;
    const length = rng.between(20, 60) * MINUTE;
    const events: DomainEvent[] = [];
    let cycles = 0;
    for (let t = injected; t < injected + length; cycles += 1) {
      const session = new SimSession(simulatedId(t, rng), simulatedId(t, rng), client);
      events.push(session.created(Math.round(t), spot.network));
      const end = t + life * rng.between(0.7, 1.3);
      for (let u = t + 2000; u < end; u += rng.between(3, 10) * 1000)
        events.push(session.telemetry(Math.round(u), spot.network, rng.int(5, 40), 0, rng.int(0, 5)));
      events.push(...session.revoke(Math.round(end), spot.network, 'logout'));
      t = end + rng.between(0.2, 5) * 1000;
    }
    const first = events[0]?.time ?? injected;
    ctx.truth.label({
      id,
      kind: 'session_cycling',
      injected: first,
      until: lastTime(events, first),
      entities: [{ kind: 'prefix', id: spot.network.ip_prefix }],
      note: `${cycles} sessions of ~${Math.round(life / 1000)} s each over ${Math.round(length / MINUTE)} min from a ${spot.kind} /24`,
    });
    markAttacker(ctx, events, first, new Set([spot.network.ip_prefix]));
    return events;
  },
};
