import type { DomainEvent } from '../../src/events/types.js';
import type { RegisteredAccount, SimContext } from './context.js';
import { simulatedAccountKey, simulatedId } from './ids.js';
import { distanceKm, type City, type Spot } from './places/index.js';
import type { Rng } from './prng.js';
import { SimSession, type SimClient } from './server-model.js';
import { hoppingCarrier, offlineFlush, roam } from './phones.js';
import { HOUR, MINUTE, runVisit, visitLength } from './session-life.js';
import type { Cohort } from './truth.js';

/**
 * Who a legitimate arrival is. The hard negatives (VPNs, carriers, travellers) are here on purpose, in the
 * proportions a consumer app sees: phones behind carrier NAT (thousands per /24), phones
 * leaving home Wi-Fi mid-visit (the carrier egress is often placed hundreds of km away),
 * VPN users (always on, or switched on mid-visit to an exit abroad), travellers (a real
 * flight or train, below any speed limit), two tabs refreshing at once, registered users
 * logging in (some mistype their password).
 */
export type Persona = 'home' | 'mobile' | 'mobile_switch' | 'carrier_hop' | 'vpn' | 'traveller' | 'roaming' | 'offline_flush' | 'login';

export const PERSONA_MIX: readonly [Persona, number][] = [
  ['home', 0.49],
  ['mobile', 0.2],
  ['mobile_switch', 0.05],
  ['carrier_hop', 0.03],
  ['vpn', 0.04],
  ['traveller', 0.01],
  ['roaming', 0.005],
  ['offline_flush', 0.02],
  ['login', 0.155],
];

const PHONE_PERSONAS: ReadonlySet<Persona> = new Set(['mobile', 'mobile_switch', 'carrier_hop', 'roaming', 'offline_flush']);

export interface LegitOptions {
  city: City;
  persona: Persona;
  /** Arrivals of a flash crowd are counted apart (their sessions are short and bunched). */
  flashCrowd?: boolean;
}

/** One legitimate visitor from arrival to its last visit of the window. */
export function runLegit(ctx: SimContext, rng: Rng, start: number, { city, persona, flashCrowd = false }: LegitOptions): DomainEvent[] {
  const events: DomainEvent[] = [];
  const home = ctx.places.residential(city, rng);
  const cell = ctx.places.carrier(city, rng);
  const needsCell = persona === 'mobile' || persona === 'mobile_switch' || persona === 'carrier_hop' || persona === 'roaming';
  const effective: Persona = (needsCell && !cell) || (persona === 'login' && ctx.guestOnly) ? 'home' : persona;
  const mobileApp = effective === 'roaming' || effective === 'offline_flush' ? true : PHONE_PERSONAS.has(effective) ? rng.chance(0.7) : rng.chance(0.25);
  const client: SimClient = mobileApp ? ctx.clients.mobile : ctx.clients.web;
  const twoTabs = !mobileApp && rng.chance(0.12) ? 0.35 : undefined;

  let first: Spot = effective === 'mobile' ? cell! : home;
  let spotAt: (t: number) => Spot = () => first;
  let t = start;
  let session: SimSession;
  let userId: string;

  if (effective === 'vpn') {
    const alwaysOn = rng.chance(0.5);
    const exit = alwaysOn ? ctx.places.vpnExit(rng, rng.chance(0.8) ? city : undefined) : ctx.places.vpnExit(rng);
    if (alwaysOn) first = exit;
    else {
      const on = start + rng.between(0.5, 6) * MINUTE;
      spotAt = (time) => (time >= on ? exit : home);
    }
    if (alwaysOn) spotAt = () => exit;
  } else if (effective === 'carrier_hop') {
    first = cell!;
    spotAt = hoppingCarrier(ctx, rng, cell!, start);
  } else if (effective === 'mobile_switch') {
    // Leaving home: Wi-Fi, then the carrier's NAT; or arriving home: the other way round.
    const leaving = rng.chance(0.5);
    const at = start + rng.between(0.5, 8) * MINUTE;
    first = leaving ? home : cell!;
    spotAt = (time) => (time >= at === leaving ? cell! : home);
  }

  if (effective === 'login') {
    const account = pickAccount(ctx.accounts, city, rng);
    userId = account.userId;
    first = rng.chance(0.3) && cell ? cell : home;
    spotAt = () => first;
    t = logIn(events, account, t, first, rng);
    session = new SimSession(simulatedId(t, rng), userId, client, true);
    events.push(session.created(Math.round(t), first.network));
    events.push({
      type: 'login.succeeded',
      time: Math.round(t),
      client_id: client.id,
      subject: userId,
      session_id: session.id,
      account_key: account.accountKey,
      method: 'password',
      network: first.network,
    });
  } else {
    userId = simulatedId(t, rng);
    session = new SimSession(simulatedId(t, rng), userId, client);
    events.push(session.created(Math.round(t), spotAt(t).network));
  }
  const cohort: Cohort = flashCrowd ? 'flash_crowd' : effective === 'mobile' ? 'mobile_nat' : effective === 'home' && twoTabs ? 'two_tabs' : effective;
  ctx.truth.legitSession(session.id, userId, cohort);
  // Phones with their own life story (a flight, a day offline) run it in phones.ts.
  if (effective === 'roaming') return [...events, ...roam(ctx, rng, session, { start: t, city, home, cell: cell! })];
  if (effective === 'offline_flush') return [...events, ...offlineFlush(ctx, rng, session, { start: t, home, cell })];
  const device = { held: 0 };

  // First visit (a flash crowd's are short: people look and leave).
  let length = flashCrowd ? Math.min(visitLength(rng), 10 * MINUTE) : visitLength(rng);
  let visit = runVisit(session, device, rng, { start: t, length, spotAt, resume: false, ...(twoTabs ? { twoTabs } : {}), until: ctx.end });
  events.push(...visit.events);

  // A guest signs up during the visit: the address is verified a few minutes later, the
  // guest is promoted in place (same user id) and carries on in a new session.
  if (effective !== 'login' && !ctx.guestOnly && !flashCrowd && visit.usable && rng.chance(0.02)) {
    const at = t + rng.between(0.2, 0.9) * length;
    const network = spotAt(at).network;
    events.push({ type: 'signup.requested', time: Math.round(at), client_id: client.id, account_key: simulatedAccountKey(rng), has_guest: true, network });
    if (rng.chance(0.8)) {
      const verified = Math.round(at + rng.between(1, 8) * MINUTE);
      if (verified < ctx.end) {
        const network2 = spotAt(verified).network;
        events.push({
          type: 'user.converted',
          time: verified,
          client_id: client.id,
          subject: userId,
          method: 'email',
          session_id: session.id,
          network: network2,
        });
        const promoted = new SimSession(simulatedId(verified, rng), userId, client, true);
        events.push(promoted.created(verified, network2));
        ctx.truth.legitSession(promoted.id, userId, cohort);
        // Drop the old session's later events: the app switched to the new tokens.
        const kept = events.filter((e) => !('session_id' in e) || e.session_id !== session.id || e.time <= verified);
        events.length = 0;
        events.push(...kept);
        session = promoted;
        device.held = 0;
        visit = runVisit(session, device, rng, { start: verified, length: Math.max(MINUTE, length - (verified - t)), spotAt, resume: false, until: ctx.end });
        events.push(...visit.events);
      }
    }
  }

  // A traveller closes the laptop, flies or takes the train, and opens it at the destination.
  let visits = 1;
  let now = visit.end;
  if (effective === 'traveller' && visit.usable) {
    const { arrival, destination } = travel(ctx, rng, city, now);
    spotAt = () => destination;
    length = visitLength(rng);
    visit = runVisit(session, device, rng, { start: arrival, length, spotAt, resume: true, until: ctx.end });
    events.push(...visit.events);
    now = visit.end;
    visits += 1;
  }

  // Coming back later the same day (30%, then 10%), sometimes from another network.
  while (visit.usable && visits < 3 && rng.chance(visits === 1 ? 0.3 : 0.1)) {
    const back = now + Math.max(20 * MINUTE, rng.logNormal(3 * HOUR, 0.8));
    if (back >= ctx.end) break;
    if (effective === 'home' || effective === 'login') {
      const elsewhere = rng.chance(0.4) ? ctx.places.residential(city, rng) : first;
      spotAt = () => elsewhere;
    } else if (effective === 'mobile' || effective === 'mobile_switch') {
      const where = rng.chance(0.5) ? home : cell!;
      spotAt = () => where;
    }
    visit = runVisit(session, device, rng, { start: back, length: visitLength(rng), spotAt, resume: true, until: ctx.end });
    events.push(...visit.events);
    now = visit.end;
    visits += 1;
  }

  if (visit.usable && now < ctx.end && rng.chance(0.05)) events.push(...session.revoke(Math.round(now), spotAt(now).network, 'logout'));
  return events;
}

/**
 * A registered user logs in: 6% mistype once or twice first, 1% have forgotten the password
 * (a few failures, a reset, then success). Returns the time of the successful attempt.
 */
function logIn(events: DomainEvent[], account: RegisteredAccount, start: number, spot: Spot, rng: Rng): number {
  let t = start;
  const failures = rng.chance(0.01) ? rng.int(3, 6) : rng.chance(0.06) ? rng.int(1, 2) : 0;
  for (let i = 0; i < failures; i += 1) {
    events.push({ type: 'login.failed', time: Math.round(t), account_key: account.accountKey, reason: 'bad_credentials', network: spot.network });
    t += rng.between(6, 40) * 1000;
  }
  if (failures >= 3) {
    t += rng.between(2, 10) * MINUTE;
    events.push({ type: 'password.reset', time: Math.round(t), subject: account.userId, network: spot.network });
    t += rng.between(10, 60) * 1000;
  }
  return t;
}

/** An account of someone living in `city` (people log in where they live; travellers are another persona). */
function pickAccount(accounts: RegisteredAccount[], city: City, rng: Rng): RegisteredAccount {
  const local = accountsByCity(accounts).get(city.name);
  return local && local.length > 0 ? rng.pick(local) : rng.pick(accounts);
}

const byCityCache = new WeakMap<RegisteredAccount[], Map<string, RegisteredAccount[]>>();
function accountsByCity(accounts: RegisteredAccount[]): Map<string, RegisteredAccount[]> {
  let index = byCityCache.get(accounts);
  if (!index) {
    index = new Map();
    for (const account of accounts) index.set(account.city.name, [...(index.get(account.city.name) ?? []), account]);
    byCityCache.set(accounts, index);
  }
  return index;
}

/**
 * A real journey: a flight at 700–850 km/h cruise plus 1.5–3 h at airports, or for short
 * distances a train or car at 80–250 km/h. Its average speed is always well below the
 * 900 km/h an impossible-travel detector allows.
 */
export function travel(ctx: SimContext, rng: Rng, from: City, departure: number): { arrival: number; destination: Spot } {
  const longHaul = rng.chance(0.7);
  const city = longHaul ? ctx.places.cityAtDistance(from, rng, 800) : ctx.places.cityAtDistance(from, rng, 100, 700);
  const km = distanceKm(from, city);
  const hours = km >= 600 ? km / rng.between(700, 850) + rng.between(1.5, 3) : km / rng.between(80, 250) + 0.25;
  return { arrival: departure + rng.between(10, 60) * MINUTE + hours * HOUR, destination: ctx.places.residential(city, rng) };
}
