import type { DomainEvent } from '../../../src/events/types.js';
import { MINUTE, runVisit } from '../session-life.js';
import { attackerSpot, lastTime, markAttacker, sessionEntities, victim, type AttackScenario } from './common.js';

/**
 * A client-id swap: a session token issued to one application is presented to another
 * (to get that client's scopes, or to launder a stolen token through a confidential client).
 * The server refuses it, revokes the session and emits `session.client_mismatch`
 * (RFC 6749 §6). The owner's next refresh then fails and it stops using the session.
 */
export const clientSwap: AttackScenario = {
  kind: 'client_swap',
  lead: (rng) => rng.between(5, 120) * MINUTE,
  run(ctx, rng, start, injected, id) {
    const { city, home, session } = victim(ctx, rng, start);
    const thief = rng.chance(0.3) ? home : attackerSpot(ctx, rng, city);
    const other = rng.chance(0.5) ? ctx.clients.partner : session.client.id === ctx.clients.web.id ? ctx.clients.mobile : ctx.clients.web;
    const owner = { held: 0 };
    const attack: DomainEvent[] = [];
    const swap = {
      at: injected,
      run: (): DomainEvent[] => {
        attack.push(...session.refresh(Math.round(injected), thief.network, owner.held, other).events);
        return [];
      },
    };
    const events: DomainEvent[] = [session.created(Math.round(start), home.network)];
    const length = injected - start + rng.between(1, 30) * MINUTE;
    events.push(...runVisit(session, owner, rng, { start, length, spotAt: () => home, resume: false, interrupts: [swap], until: ctx.end }).events, ...attack);
    const first = attack[0]?.time ?? injected;
    ctx.truth.label({
      id,
      kind: 'client_swap',
      injected: first,
      until: lastTime(attack, first),
      entities: sessionEntities(session),
      note: `presented to the ${other.id === ctx.clients.partner.id ? 'partner' : 'other first-party'} client from ${thief === home ? "the owner's own network" : `a ${thief.kind} /24`}`,
    });
    if (thief !== home) markAttacker(ctx, attack, first, new Set([thief.network.ip_prefix]));
    return events;
  },
};
