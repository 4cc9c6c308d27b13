import type { DomainEvent } from '../../src/events/types.js';
import type { ActorSpec, SimContext } from './context.js';
import { diurnalFactor } from './diurnal.js';
import { simulatedId } from './ids.js';
import type { Spot } from './places/index.js';
import type { Rng } from './prng.js';
import { scopeRefusalActors } from './scopes.js';
import { SimSession } from './server-model.js';
import { HOUR, MINUTE, runVisit } from './session-life.js';

/**
 * Legitimate actors that do not arrive one visitor at a time: server-side relays, classrooms
 * behind one NAT, and people signed in on two devices in two cities. Each is what a
 * detector that only counts would take for an attack.
 */
export function crowdActors(ctx: SimContext, rng: Rng, { sessionsPerDay, quietUntil }: { sessionsPerDay: number; quietUntil: number }): ActorSpec[] {
  const days = (ctx.end - ctx.start) / (24 * HOUR);
  const specs: ActorSpec[] = [];
  for (let i = 0; i < 2; i += 1) specs.push({ name: `relay/${i}`, time: ctx.start, run: (c, r) => relay(c, r) });
  const classrooms = Math.max(days >= 0.25 ? 1 : 0, Math.round(days * 6));
  const timing = rng.fork('classroom-times');
  for (let i = 0; i < classrooms; i += 1) {
    const time = classroomTime(ctx, timing, quietUntil);
    if (time !== undefined) specs.push({ name: `classroom/${i}`, time: time.at, run: (c, r) => classroom(c, r, time.at, time.city) });
  }
  const pairs = Math.round(days * sessionsPerDay * 0.004);
  const pairTimes = rng.fork('two-devices');
  for (let i = 0; i < pairs; i += 1) {
    const time = pairTimes.between(ctx.start, ctx.end - HOUR);
    specs.push({ name: `two-devices/${i}`, time, run: (c, r) => twoDevices(c, r, time) });
  }
  // Their own streams (forks by name): adding them left every other actor's draws unchanged.
  specs.push(...scopeRefusalActors(ctx, rng.fork('scopes'), sessionsPerDay));
  return specs;
}

/**
 * A customer's backend forwarding its own users' telemetry with a client-credentials token:
 * one "session" (its subject is the client) sending 200–1,200 events a minute around the
 * clock, following its audience's day, in batches of up to 500.
 */
function relay(ctx: SimContext, rng: Rng): DomainEvent[] {
  const client = { id: simulatedId(ctx.start - 30 * 24 * HOUR, rng), refreshGraceS: 0 };
  const server = ctx.places.cloud(rng);
  const session = new SimSession(client.id, client.id, client);
  const audience = rng.pick(ctx.places.cities);
  const perMinute = rng.between(200, 1200);
  ctx.truth.legitSession(session.id, session.userId, 'relay');
  const events: DomainEvent[] = [];
  for (let t = ctx.start + rng.between(0, 30_000); t < ctx.end; t += rng.between(15, 40) * 1000) {
    const due = (perMinute * diurnalFactor(t, audience.utcOffset) * 30_000) / MINUTE;
    for (let left = Math.round(due * rng.between(0.7, 1.3)); left > 0; left -= 500) {
      events.push(session.telemetry(Math.round(t), server.network, Math.min(500, left), rng.chance(0.1) ? 1 : 0, rng.int(5, 40)));
    }
  }
  return events;
}

/** A weekday between 8:30 and 14:30 local time in a city where it is one, after the warm-up. */
function classroomTime(ctx: SimContext, rng: Rng, quietUntil: number): { at: number; city: (typeof ctx.places.cities)[number] } | undefined {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const at = rng.between(quietUntil, ctx.end - HOUR);
    const city = rng.weighted(ctx.places.cities, (c) => c.weight);
    const local = new Date(at + city.utcOffset * HOUR);
    const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
    if (local.getUTCDay() >= 1 && local.getUTCDay() <= 5 && hour >= 8.5 && hour <= 14.5) return { at, city };
  }
  return undefined;
}

/**
 * A teacher says "open the app now": 15–35 guest sessions from the school's one /24 within
 * one or two minutes, then each a pupil's visit of 15–45 minutes (telemetry, refreshes).
 */
function classroom(ctx: SimContext, rng: Rng, start: number, city: (typeof ctx.places.cities)[number]): DomainEvent[] {
  const school = ctx.places.residential(city, rng);
  const pupils = rng.int(15, 35);
  const spread = rng.between(30, 120) * 1000;
  const events: DomainEvent[] = [];
  for (let i = 0; i < pupils; i += 1) {
    const at = start + rng.between(0, spread);
    const client = rng.chance(0.6) ? ctx.clients.web : ctx.clients.mobile;
    const session = new SimSession(simulatedId(at, rng), simulatedId(at, rng), client);
    events.push(session.created(Math.round(at), school.network));
    ctx.truth.legitSession(session.id, session.userId, 'classroom');
    const length = rng.chance(0.15) ? rng.between(1, 5) * MINUTE : rng.between(15, 45) * MINUTE;
    events.push(...runVisit(session, { held: 0 }, rng, { start: at, length, spotAt: () => school, resume: false, until: ctx.end }).events);
  }
  return events;
}

/**
 * A registered person signed in on two devices in two cities (a laptop left at home that
 * keeps syncing, a phone with the person, or a partner sharing the account). The phone's
 * session is older than the window: it first appears refreshing. The laptop logs in anew;
 * later the phone sometimes logs out and back in where it has always been.
 */
function twoDevices(ctx: SimContext, rng: Rng, start: number): DomainEvent[] {
  if (ctx.guestOnly) return [];
  const account = rng.pick(ctx.accounts);
  const laptopAt = ctx.places.residential(account.city, rng);
  const elsewhere = ctx.places.cityAtDistance(account.city, rng, 150, 3000);
  const phoneAt: Spot = rng.chance(0.5)
    ? ctx.places.residential(elsewhere, rng)
    : (ctx.places.carrier(elsewhere, rng) ?? ctx.places.residential(elsewhere, rng));
  const events: DomainEvent[] = [];
  const laptop = new SimSession(simulatedId(start, rng), account.userId, ctx.clients.web, true);
  const login = (session: SimSession, at: number, spot: Spot) => {
    events.push(session.created(Math.round(at), spot.network));
    events.push({
      type: 'login.succeeded',
      time: Math.round(at),
      client_id: session.client.id,
      subject: account.userId,
      session_id: session.id,
      account_key: account.accountKey,
      method: 'password',
      network: spot.network,
    });
    ctx.truth.legitSession(session.id, account.userId, 'two_devices');
  };
  let phone = new SimSession(simulatedId(start - rng.between(1, 20) * 24 * HOUR, rng), account.userId, ctx.clients.mobile, true);
  ctx.truth.legitSession(phone.id, account.userId, 'two_devices');
  const devices = [
    { session: laptop, held: { held: 0 }, spot: laptopAt, started: false },
    { session: phone, held: { held: 0 }, spot: phoneAt, started: true },
  ];
  const until = Math.min(ctx.end, start + rng.between(4, 16) * HOUR);
  let reloggedIn = false;
  // The laptop signs in first, at home; the phone's old session shows up wherever the phone is.
  for (let t = start, first = true; t < until; first = false) {
    const device = first ? devices[0]! : rng.pick(devices);
    if (!device.started) {
      login(device.session, t, device.spot);
      device.started = true;
    } else if (device.session === phone && !reloggedIn && t - start > 2 * HOUR && rng.chance(0.3)) {
      events.push(...phone.revoke(Math.round(t), device.spot.network, 'logout'));
      phone = new SimSession(simulatedId(t, rng), account.userId, ctx.clients.mobile, true);
      device.session = phone;
      device.held = { held: 0 };
      t += rng.between(10, 120) * 1000;
      login(phone, t, device.spot);
      reloggedIn = true;
    }
    const visit = runVisit(device.session, device.held, rng, {
      start: t,
      length: rng.between(1, 20) * MINUTE,
      spotAt: () => device.spot,
      resume: device.session.generation > 0 || (device.session === phone && !reloggedIn),
      until: ctx.end,
    });
    events.push(...visit.events);
    if (!visit.usable) break;
    t = visit.end + rng.between(5, 90) * MINUTE;
  }
  return events;
}
