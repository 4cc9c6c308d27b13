import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import type { City } from '../places/index.js';
import type { Rng } from '../prng.js';
import { SimSession } from '../server-model.js';
import { HOUR, MINUTE } from '../session-life.js';
import type { SimContext } from '../context.js';
import { lastTime, logUniform, markAttacker, type AttackScenario } from './common.js';

/**
 * An off-hours burst: a script drives an application through a handful of guest sessions at
 * 1–5 a.m. where it runs (a residential proxy in a city that is asleep), 60–300 events a
 * minute for 15–40 minutes: scraping, farming, or a stolen integration replayed at night
 * when nobody watches. Each session stays below what a single session's rate would give
 * away, and a few sessions are no sign-up flood: only "this much, at this hour, from here"
 * is unusual (seed 004: usage outside normal time windows).
 */
export const offHours: AttackScenario = {
  kind: 'off_hours',
  lead: () => 0,
  run(ctx, rng, _start, injected, id) {
    const city = sleepingCity(ctx, rng, injected);
    if (!city) return [];
    const proxy = ctx.places.residential(city, rng);
    const client = rng.chance(0.6) ? ctx.clients.web : ctx.clients.mobile;
    const rate = logUniform(rng, 60, 300);
    const length = rng.between(15, 40) * MINUTE;
    const sessions = Array.from({ length: rng.int(3, 12) }, (_, i) => new SimSession(simulatedId(injected + i, rng), simulatedId(injected + i, rng), client));
    const events: DomainEvent[] = sessions.map((s, i) => s.created(Math.round(injected + i * rng.between(1, 20) * 1000), proxy.network));
    const interval = 10_000;
    for (let t = injected + 5_000; t < injected + length; t += interval) {
      for (const session of sessions) {
        const n = rng.poisson((rate * interval) / MINUTE / sessions.length);
        if (n > 0) events.push(session.telemetry(Math.round(t + rng.between(0, interval)), proxy.network, n, 0, rng.int(0, 10)));
      }
    }
    for (const session of sessions) {
      for (let t = injected + rng.between(10, 14) * MINUTE; t < injected + length; t += rng.between(10, 14) * MINUTE) {
        events.push(...session.refresh(Math.round(t), proxy.network).events);
      }
    }
    const first = events.reduce((min, e) => Math.min(min, e.time), Infinity);
    ctx.truth.label({
      id,
      kind: 'off_hours',
      injected: first,
      until: lastTime(events, first),
      entities: [
        { kind: 'client', id: client.id, detectors: ['off_hours'], country: city.country },
        ...sessions.map((s) => ({ kind: 'session' as const, id: s.id })),
      ],
      note: `${Math.round(rate)} events/min for ${Math.round(length / MINUTE)} min through ${sessions.length} sessions at ${localHour(city, first)}:00 in ${city.name}`,
    });
    markAttacker(ctx, events, first, new Set([proxy.network.ip_prefix]));
    return events;
  },
};

function localHour(city: City, time: number): number {
  return new Date(time + city.utcOffset * HOUR).getUTCHours();
}

/** A city where it is between 1 and 5 a.m. at `time`, by audience weight. */
function sleepingCity(ctx: SimContext, rng: Rng, time: number): City | undefined {
  const asleep = ctx.places.cities.filter((city) => {
    const hour = localHour(city, time);
    return hour >= 1 && hour < 5;
  });
  return asleep.length > 0 ? rng.weighted(asleep, (c) => c.weight) : undefined;
}
