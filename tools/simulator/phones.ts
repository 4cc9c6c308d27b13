import type { DomainEvent } from '../../src/events/types.js';
import type { SimContext } from './context.js';
import { distanceKm, type City, type Spot } from './places/index.js';
import type { Rng } from './prng.js';
import type { SimSession } from './server-model.js';
import { HOUR, MINUTE, runVisit, visitLength } from './session-life.js';

/**
 * Phones whose addresses tell a story a detector must not read as theft: a carrier moving a
 * phone between its NAT pools all over the country, a phone that lands abroad and first
 * shows its home carrier's address (home-routed roaming) before the hotel Wi-Fi, and an app
 * that was offline for hours and flushes its telemetry backlog in one minute.
 */

/**
 * Where a phone on a hopping carrier is: a new pool of the same carrier every 2–15 min,
 * anywhere in the country (the carrier decides, not the phone's position).
 */
export function hoppingCarrier(ctx: SimContext, rng: Rng, cell: Spot, start: number): (time: number) => Spot {
  let current = cell;
  let nextHop = start + rng.between(2, 15) * MINUTE;
  // Visits ask in time order; a later visit after a long pause finds the phone a few hops on.
  return (time) => {
    while (nextHop <= time) {
      current = ctx.places.carrierHop(current, rng);
      nextHop += rng.between(2, 15) * MINUTE;
    }
    return current;
  };
}

export interface PhoneStart {
  start: number;
  city: City;
  home: Spot;
  cell: Spot;
}

/**
 * A phone user flies abroad (another country, 800 km or more, at a plane's speed plus
 * airports). After landing the phone comes back on data roaming, which is home-routed: its
 * address is still the home carrier's, placed at home. Minutes later it joins the hotel
 * Wi-Fi at the destination, and later alternates between the two.
 */
export function roam(ctx: SimContext, rng: Rng, session: SimSession, { start, city, home, cell }: PhoneStart): DomainEvent[] {
  const events: DomainEvent[] = [];
  const device = { held: 0 };
  const before = rng.chance(0.5) ? home : cell;
  let visit = runVisit(session, device, rng, { start, length: visitLength(rng), spotAt: () => before, resume: false, until: ctx.end });
  events.push(...visit.events);
  const abroad = ctx.places.cities.filter((c) => c.country !== city.country && distanceKm(city, c) >= 800);
  if (!visit.usable || abroad.length === 0) return events;
  const destination = rng.pick(abroad);
  const km = distanceKm(city, destination);
  const landed = visit.end + rng.between(30, 120) * MINUTE + (km / rng.between(700, 850) + rng.between(1.5, 3)) * HOUR;
  const hotel = ctx.places.residential(destination, rng);
  const roamingAddress = (): Spot => (rng.chance(0.5) ? cell : ctx.places.carrierHop(cell, rng));
  let at = landed + rng.between(5, 40) * MINUTE;
  const plan: Spot[] = [roamingAddress(), hotel, rng.chance(0.5) ? roamingAddress() : hotel, hotel];
  for (const spot of plan) {
    if (at >= ctx.end) break;
    visit = runVisit(session, device, rng, { start: at, length: visitLength(rng), spotAt: () => spot, resume: true, until: ctx.end });
    events.push(...visit.events);
    if (!visit.usable) break;
    at = visit.end + rng.between(10, 120) * MINUTE;
  }
  return events;
}

/** Events a phone app logs per minute of use while offline (they wait in its local queue). */
const OFFLINE_EVENTS_PER_MINUTE = 3;
/** Events per telemetry batch (the server's limit is 500). */
const BATCH = 500;

/**
 * An app used offline for hours (a flight, the subway, a data cap): its events wait in a
 * local queue. When the phone is back online it refreshes the expired token and flushes the
 * whole backlog within a minute: hundreds of events whose `ts` spread over the hours offline.
 */
export function offlineFlush(
  ctx: SimContext,
  rng: Rng,
  session: SimSession,
  { start, home, cell }: { start: number; home: Spot; cell: Spot | undefined },
): DomainEvent[] {
  const events: DomainEvent[] = [];
  const device = { held: 0 };
  let visit = runVisit(session, device, rng, { start, length: visitLength(rng), spotAt: () => home, resume: false, until: ctx.end });
  events.push(...visit.events);
  const offline = rng.between(1, 12) * HOUR;
  const back = visit.end + offline;
  if (!visit.usable || back >= ctx.end) return events;
  const spot = cell && rng.chance(0.5) ? cell : home;
  const refresh = session.refresh(Math.round(back), spot.network, device.held);
  events.push(...refresh.events);
  if (!refresh.ok) return events;
  device.held = refresh.generation;
  // Used for a fraction of the time offline: 100 to about 2,000 queued events.
  let queued = Math.round(OFFLINE_EVENTS_PER_MINUTE * (offline / MINUTE) * rng.between(0.1, 0.9));
  const spanS = Math.round(offline / 1000);
  for (let t = back + rng.between(1, 5) * 1000; queued > 0; t += rng.between(0.5, 4) * 1000) {
    const n = Math.min(BATCH, queued);
    queued -= n;
    events.push(session.telemetry(Math.round(t), spot.network, n, 0, Math.round(spanS * rng.between(0.3, 1))));
  }
  visit = runVisit(session, device, rng, { start: back + 10_000, length: visitLength(rng), spotAt: () => spot, resume: false, until: ctx.end });
  events.push(...visit.events);
  return events;
}
