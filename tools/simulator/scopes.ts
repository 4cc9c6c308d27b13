import type { DomainEvent } from '../../src/events/types.js';
import type { ActorSpec, SimContext } from './context.js';
import { simulatedId } from './ids.js';
import type { Spot } from './places/index.js';
import type { Rng } from './prng.js';
import { HOUR, MINUTE } from './session-life.js';

/** Scope names a stale build or a developer asks for, and a prober's word list (scope-probing.ts). */
const REMOVED_SCOPES = ['sync:legacy', 'offline', 'profile:write', 'beta'];
const TYPOS = ['analytic', 'profle', 'read:profil', 'telemetry ', 'offline_acess', 'email'];

/**
 * Legitimate refused scopes (`scope.refused`), which a scope-probing detector must not take
 * for probing: an app build still asking for a scope an administrator removed (every phone
 * on that build is refused the same name once per session, from wherever it is, for hours
 * until the fix ships or the scope is restored), and a developer trying a few names from the
 * office while wiring up a client (one or two typos, then the right one).
 */
export function scopeRefusalActors(ctx: SimContext, rng: Rng, sessionsPerDay: number): ActorSpec[] {
  const days = (ctx.end - ctx.start) / (24 * HOUR);
  const specs: ActorSpec[] = [];
  const releases = Math.max(days >= 1 ? 1 : 0, Math.round(days / 2));
  const releaseTimes = rng.fork('stale-build-times');
  for (let i = 0; i < releases; i += 1) {
    const time = releaseTimes.between(ctx.start, ctx.end - HOUR);
    specs.push({ name: `stale-build/${i}`, time, run: (c, r) => staleBuild(c, r, time, sessionsPerDay) });
  }
  const developers = Math.round(days * 3);
  const devTimes = rng.fork('developer-times');
  for (let i = 0; i < developers; i += 1) {
    const time = devTimes.between(ctx.start, ctx.end - HOUR);
    specs.push({ name: `developer/${i}`, time, run: (c, r) => developer(c, r, time) });
  }
  return specs;
}

function staleBuild(ctx: SimContext, rng: Rng, start: number, sessionsPerDay: number): DomainEvent[] {
  const scope = rng.pick(REMOVED_SCOPES);
  const length = rng.between(1, 6) * HOUR;
  // A share of the mobile app's new sessions (a fifth of all) are on the stale build.
  const perMinute = ((sessionsPerDay * 0.2) / (24 * 60)) * rng.between(0.05, 0.4);
  const events: DomainEvent[] = [];
  for (let t = start; t < Math.min(start + length, ctx.end); t += rng.exponential(MINUTE / perMinute)) {
    const city = rng.weighted(ctx.places.cities, (c) => c.weight);
    const spot: Spot = (rng.chance(0.6) ? ctx.places.carrier(city, rng) : undefined) ?? ctx.places.residential(city, rng);
    // Some apps retry the same request a couple of times before giving up.
    for (let k = rng.chance(0.2) ? rng.int(2, 3) : 1; k > 0; k -= 1) events.push(refused(rng, t + k * 2000, spot, ctx.clients.mobile.id, [scope], 2));
  }
  return events;
}

function developer(ctx: SimContext, rng: Rng, start: number): DomainEvent[] {
  const office = ctx.places.residential(
    rng.weighted(ctx.places.cities, (c) => c.weight),
    rng,
  );
  const client = rng.chance(0.5) ? ctx.clients.web : ctx.clients.partner;
  const events: DomainEvent[] = [];
  let t = start;
  for (let i = rng.int(1, 3); i > 0; i -= 1) {
    events.push(refused(rng, t, office, client.id, [rng.pick(TYPOS)], rng.int(1, 3)));
    t += rng.between(20, 300) * 1000;
  }
  return events;
}

export function refused(rng: Rng, time: number, spot: Spot, clientId: string, names: string[], requested: number): DomainEvent {
  return {
    type: 'scope.refused',
    time: Math.round(time),
    client_id: clientId,
    subject: simulatedId(time, rng),
    network: spot.network,
    grant: 'guest_session',
    refused: names.slice(0, 10),
    refused_count: names.length,
    requested_count: Math.max(requested, names.length),
  };
}
