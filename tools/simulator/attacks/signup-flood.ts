import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import { SERVER_LIMITS, SimLimiter, SimSession } from '../server-model.js';
import { MINUTE, refreshInterval } from '../session-life.js';
import { lastTime, logUniform, markAttacker, type AttackScenario } from './common.js';

/**
 * A sign-up flood from one /24: a script on a few addresses of one network creates guest
 * sessions at 30–300 a minute for 5–20 minutes (inflating user counts, farming tokens). The
 * server's per-IP (60/min) and per-/24 (600/min) limits refuse part of it with 429, which
 * emits nothing: detectors see what gets through. Most bot sessions are never used again.
 */
export const signupFlood: AttackScenario = {
  kind: 'signup_flood',
  lead: () => 0,
  run(ctx, rng, _start, injected, id) {
    const source = rng.chance(0.7) ? ctx.places.cloud(rng) : ctx.places.residential(rng.pick(ctx.places.cities), rng);
    const prefix = source.network.ip_prefix;
    const addresses = rng.int(2, 24);
    const rate = logUniform(rng, 30, 300);
    const length = rng.between(5, 20) * MINUTE;
    const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
    const perIp = new SimLimiter(SERVER_LIMITS.guestCreationsPerIpPerMinute, MINUTE);
    const perPrefix = new SimLimiter(SERVER_LIMITS.guestCreationsPerPrefixPerMinute, MINUTE);
    const events: DomainEvent[] = [];
    let created = 0;
    for (let t = injected; t < injected + length; t += rng.exponential(MINUTE / rate)) {
      const at = Math.round(t);
      const ip = rng.int(1, addresses);
      if (!perIp.hit(`${ip}`, at) || !perPrefix.hit(prefix, at)) continue;
      const session = new SimSession(simulatedId(at, rng), simulatedId(at, rng), client);
      events.push(session.created(at, source.network));
      created += 1;
      // One bot in ten keeps its session warm once.
      if (rng.chance(0.1)) events.push(...session.refresh(Math.round(at + refreshInterval(rng)), source.network).events);
    }
    if (events.length === 0) return events;
    const first = events.reduce((min, e) => Math.min(min, e.time), Infinity);
    ctx.truth.label({
      id,
      kind: 'signup_flood',
      injected: first,
      until: lastTime(events, first),
      entities: [{ kind: 'prefix', id: prefix }],
      note: `${Math.round(rate)}/min for ${Math.round(length / MINUTE)} min from ${addresses} addresses of a ${source.kind} /24 (${source.owner}); ${created} sessions got through`,
    });
    markAttacker(ctx, events, first, new Set([prefix]));
    return events;
  },
};
