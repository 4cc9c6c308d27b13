import type { DomainEvent } from '../../src/events/types.js';
import type { ActorSpec, RegisteredAccount, SimContext } from './context.js';
import { crowdActors } from './crowds.js';
import { diurnalFactor } from './diurnal.js';
import { simulatedAccountKey, simulatedId } from './ids.js';
import { PERSONA_MIX, runLegit, type Persona } from './legit.js';
import type { City, Places } from './places/index.js';
import type { Rng } from './prng.js';
import { HOUR, MINUTE } from './session-life.js';

export interface PopulationOptions {
  /** New legitimate sessions per day on average (before flash crowds). */
  sessionsPerDay: number;
  /** No flash crowd starts before this time (ms). */
  quietUntil: number;
}

/**
 * Legitimate arrivals: for every minute and city, a Poisson count whose mean follows the
 * city's local time of day (diurnal.ts) and its weight; each arrival is a persona drawn from
 * PERSONA_MIX. Flash crowds add bursts on top.
 */
export function legitimateActors(ctx: SimContext, rng: Rng, options: PopulationOptions): ActorSpec[] {
  const specs: ActorSpec[] = [];
  const totalWeight = ctx.places.cities.reduce((sum, city) => sum + city.weight, 0);
  const perMinute = options.sessionsPerDay / 1440;
  const minutes = Math.ceil((ctx.end - ctx.start) / MINUTE);
  const arrivals = rng.fork('arrivals');
  for (let m = 0; m < minutes; m += 1) {
    const minuteStart = ctx.start + m * MINUTE;
    ctx.places.cities.forEach((city, c) => {
      const mean = (perMinute * city.weight * diurnalFactor(minuteStart + 30_000, city.utcOffset)) / totalWeight;
      const count = arrivals.poisson(mean);
      for (let k = 0; k < count; k += 1) {
        const time = minuteStart + arrivals.between(0, MINUTE);
        const persona = arrivals.weighted(PERSONA_MIX, ([, w]) => w)[0];
        specs.push(legitSpec(`legit/${m}/${c}/${k}`, time, city, persona, false));
      }
    });
  }
  specs.push(...flashCrowds(ctx, rng.fork('flash'), perMinute, options.quietUntil));
  specs.push(...crowdActors(ctx, rng.fork('crowds'), options));
  return specs;
}

function legitSpec(name: string, time: number, city: City, persona: Persona, flashCrowd: boolean): ActorSpec {
  return { name, time, run: (ctx, rng): DomainEvent[] => runLegit(ctx, rng, time, { city, persona, flashCrowd }) };
}

/**
 * A flash crowd (a TV spot, a viral link): for 10–30 min, 4–10 times the whole app's usual
 * arrival rate on top, from one country's cities (half the time) or from everywhere. Many new
 * sessions from many prefixes at once: what a sign-up-flood detector must not mistake for one.
 * About one per simulated day.
 */
function flashCrowds(ctx: SimContext, rng: Rng, perMinute: number, quietUntil: number): ActorSpec[] {
  const hours = (ctx.end - ctx.start) / HOUR;
  const count = Math.max(hours >= 6 ? 1 : 0, Math.round(hours / 24));
  const specs: ActorSpec[] = [];
  for (let i = 0; i < count; i += 1) {
    const latest = ctx.end - HOUR;
    if (latest <= quietUntil) break;
    const begin = rng.between(quietUntil, latest);
    const length = rng.between(10, 30) * MINUTE;
    const multiplier = rng.between(4, 10);
    const country = rng.chance(0.5) ? rng.pick(ctx.places.cities).country : undefined;
    const cities = country ? ctx.places.cities.filter((city) => city.country === country) : ctx.places.cities;
    for (let m = 0; m * MINUTE < length; m += 1) {
      // Ramps up over the first 5 minutes, as a crowd does.
      const ramp = Math.min(1, (m + 1) / 5);
      const n = rng.poisson(perMinute * multiplier * ramp);
      const at = begin + m * MINUTE;
      for (let k = 0; k < n; k += 1) {
        // People join a crowd where they are awake: a viral link at 3 a.m. somewhere waits for the morning there.
        const city = rng.weighted(cities, (c) => c.weight * diurnalFactor(at, c.utcOffset));
        const persona: Persona = rng.chance(0.6) ? 'home' : 'mobile';
        specs.push(legitSpec(`flash/${i}/${m}/${k}`, at + rng.between(0, MINUTE), city, persona, true));
      }
    }
  }
  return specs;
}

/** Registered accounts (for logins, takeovers, and the share of stuffing that hits real accounts). */
export function registeredAccounts(places: Places, rng: Rng, count: number, before: number): RegisteredAccount[] {
  return Array.from({ length: count }, () => {
    const city = rng.weighted(places.cities, (c) => c.weight);
    return { userId: simulatedId(before - rng.between(1, 400) * 24 * HOUR, rng), accountKey: simulatedAccountKey(rng), city };
  });
}
