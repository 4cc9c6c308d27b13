import type { DomainEvent } from '../../../src/events/types.js';
import type { SimContext } from '../context.js';
import { simulatedId } from '../ids.js';
import { distanceKm } from '../places/index.js';
import type { Rng } from '../prng.js';
import { SimSession } from '../server-model.js';
import { HOUR, MINUTE, runVisit } from '../session-life.js';
import { lastTime, markAttacker, sessionEntities, victim, type AttackScenario } from './common.js';

/** The speed a detector allows by default: 900 km/h over more than 100 km. */
const ALLOWED_KMH = 900;

/**
 * Impossible travel, from a residential network (a residential proxy, or the attacker's own
 * line) far from the victim: never from a cloud or VPN range, which detectors rightly
 * discount. The implied speed is at least twice the allowed one after subtracting 100 km of
 * location uncertainty at each end. Half the time an account takeover (the owner logs in at
 * home, a thief with the password logs in far away minutes later: the user is the entity);
 * half the time a hijacked session (the owner's copy goes idle, the thief's copy refreshes
 * far away minutes later: the session is the entity).
 */
export const impossibleTravel: AttackScenario = {
  kind: 'impossible_travel',
  lead: (rng) => rng.between(10, 60) * MINUTE,
  run(ctx, rng, start, injected, id) {
    return rng.chance(0.5) && !ctx.guestOnly ? accountTakeover(ctx, rng, start, injected, id) : sessionHijack(ctx, rng, start, injected, id);
  },
};

function farAway(ctx: SimContext, rng: Rng, from: { lat: number; lon: number }, gapMs: number) {
  const minKm = Math.max(1500, (2 * ALLOWED_KMH * gapMs) / HOUR + 200);
  const city = ctx.places.cityAtDistance(from, rng, minKm);
  return ctx.places.residential(city, rng);
}

function accountTakeover(ctx: SimContext, rng: Rng, start: number, injected: number, id: string): DomainEvent[] {
  const account = rng.pick(ctx.accounts);
  const home = ctx.places.residential(account.city, rng);
  const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
  const events: DomainEvent[] = [];
  // The owner logs in at home and uses the app; the thief logs in 5–50 min after the login.
  const ownerLogin = Math.max(start, injected - rng.between(5, 50) * MINUTE);
  const owned = new SimSession(simulatedId(ownerLogin, rng), account.userId, client, true);
  events.push(owned.created(Math.round(ownerLogin), home.network));
  events.push({
    type: 'login.succeeded',
    time: Math.round(ownerLogin),
    client_id: client.id,
    subject: account.userId,
    session_id: owned.id,
    account_key: account.accountKey,
    method: 'password',
    network: home.network,
  });
  ctx.truth.legitSession(owned.id, account.userId, 'login');
  events.push(
    ...runVisit(owned, { held: 0 }, rng, { start: ownerLogin, length: rng.between(2, 40) * MINUTE, spotAt: () => home, resume: false, until: ctx.end }).events,
  );
  const ownerLast = lastTime(events, ownerLogin);
  const at = Math.max(injected, ownerLast + 30_000);
  const thief = farAway(ctx, rng, home, at - ownerLast);
  const stolen = new SimSession(simulatedId(at, rng), account.userId, client, true);
  const attack: DomainEvent[] = [stolen.created(Math.round(at), thief.network)];
  attack.push({
    type: 'login.succeeded',
    time: Math.round(at),
    client_id: client.id,
    subject: account.userId,
    session_id: stolen.id,
    account_key: account.accountKey,
    method: 'password',
    network: thief.network,
  });
  attack.push(
    ...runVisit(stolen, { held: 0 }, rng, { start: at, length: rng.between(2, 20) * MINUTE, spotAt: () => thief, resume: false, until: ctx.end }).events,
  );
  events.push(...attack);
  ctx.truth.label({
    id,
    kind: 'impossible_travel',
    injected: Math.round(at),
    until: lastTime(attack, at),
    entities: [
      { kind: 'user', id: account.userId },
      { kind: 'session', id: stolen.id },
    ],
    note: `account takeover: ${Math.round(distanceKm(home, thief))} km in ${Math.round((at - ownerLast) / MINUTE)} min (${home.country} → ${thief.country})`,
  });
  markAttacker(ctx, attack, Math.round(at), new Set([thief.network.ip_prefix]));
  return events;
}

function sessionHijack(ctx: SimContext, rng: Rng, start: number, injected: number, id: string): DomainEvent[] {
  const { home, session } = victim(ctx, rng, start);
  const owner = { held: 0 };
  const events: DomainEvent[] = [session.created(Math.round(start), home.network)];
  // The owner's visit ends before the theft; the copy taken at its end is current.
  events.push(
    ...runVisit(session, owner, rng, {
      start,
      length: Math.max(MINUTE, injected - start - rng.between(1, 20) * MINUTE),
      spotAt: () => home,
      resume: false,
      until: ctx.end,
    }).events,
  );
  const ownerLast = lastTime(events, start);
  const at = Math.max(injected, ownerLast + 30_000);
  const thief = farAway(ctx, rng, home, at - ownerLast);
  const copy = { held: owner.held };
  const attack = runVisit(session, copy, rng, { start: at, length: rng.between(2, 25) * MINUTE, spotAt: () => thief, resume: true, until: ctx.end }).events;
  events.push(...attack);
  ctx.truth.label({
    id,
    kind: 'impossible_travel',
    injected: Math.round(at),
    until: lastTime(attack, at),
    entities: sessionEntities(session),
    note: `session hijack: ${Math.round(distanceKm(home, thief))} km in ${Math.round((at - ownerLast) / MINUTE)} min (${home.country} → ${thief.country})`,
  });
  markAttacker(ctx, attack, Math.round(at), new Set([thief.network.ip_prefix]));
  return events;
}
