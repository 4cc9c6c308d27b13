import type { DomainEvent } from '../../../src/events/types.js';
import type { SimContext } from '../context.js';
import { simulatedId } from '../ids.js';
import type { City, Spot } from '../places/index.js';
import type { Rng } from '../prng.js';
import { SimSession, type SimClient } from '../server-model.js';
import type { AttackKind, LabelEntity } from '../truth.js';

/** One attack kind: how long before its injection its actor starts (a victim's session first), and what it does. */
export interface AttackScenario {
  kind: AttackKind;
  /** Time the actor needs before the injection (a victim's session must exist to be stolen). */
  lead(rng: Rng): number;
  /**
   * Where in its slot an instance starts, as a fraction of the slot (1: anywhere). Attacks
   * that last hours start early so they can run their course before the next one starts.
   */
  injectWithin?: number;
  /** `room`: time from the injection to the end of the instance's slot (the next instance of its kind). */
  run(ctx: SimContext, rng: Rng, start: number, injected: number, id: string, room: number): DomainEvent[];
}

/** A rate drawn log-uniformly (attack tools are configured anywhere from timid to greedy). */
export function logUniform(rng: Rng, min: number, max: number): number {
  return Math.exp(rng.between(Math.log(min), Math.log(max)));
}

/** Where an attacker sends from: a cloud server, a commercial VPN, or a residential proxy abroad. */
export function attackerSpot(ctx: SimContext, rng: Rng, awayFrom?: City): Spot {
  const r = rng.next();
  if (r < 0.4) return ctx.places.cloud(rng);
  if (r < 0.6) return ctx.places.vpnExit(rng);
  const city = awayFrom ? ctx.places.cityAtDistance(awayFrom, rng, 1500) : rng.pick(ctx.places.cities);
  return ctx.places.residential(city, rng);
}

/** A victim: an ordinary guest at home, whose session an attack will target. */
export function victim(ctx: SimContext, rng: Rng, time: number): { city: City; home: Spot; client: SimClient; session: SimSession } {
  const city = rng.weighted(ctx.places.cities, (c) => c.weight);
  const home = ctx.places.residential(city, rng);
  const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
  const session = new SimSession(simulatedId(time, rng), simulatedId(time, rng), client);
  return { city, home, client, session };
}

/** The entities naming a session-level attack: the session, and its user. */
export function sessionEntities(session: SimSession): LabelEntity[] {
  return [
    { kind: 'session', id: session.id },
    { kind: 'user', id: session.userId },
  ];
}

/** Records every session and user an attacker created or took over, and every prefix it sent from. */
export function markAttacker(ctx: SimContext, events: DomainEvent[], from: number, attackerPrefixes: Set<string>): void {
  const clients = new Map<string, { from: number; until: number }>();
  for (const event of events) {
    if (event.time < from) continue;
    if (event.client_id && event.network && attackerPrefixes.has(event.network.ip_prefix)) {
      const use = clients.get(event.client_id) ?? { from: event.time, until: event.time };
      clients.set(event.client_id, { from: Math.min(use.from, event.time), until: Math.max(use.until, event.time) });
    }
    if (event.network && attackerPrefixes.has(event.network.ip_prefix)) {
      ctx.truth.attacker('prefix', event.network.ip_prefix, event.time);
      if ('session_id' in event && event.session_id) ctx.truth.attacker('session', event.session_id, event.time);
      if (event.subject) ctx.truth.attacker('user', event.subject, event.time);
    }
  }
  for (const [clientId, use] of clients) ctx.truth.attackThroughClient(clientId, use.from, use.until, attackerPrefixes);
}

export function lastTime(events: DomainEvent[], fallback: number): number {
  return events.reduce((latest, e) => Math.max(latest, e.time), fallback);
}
