import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import { SimSession } from '../server-model.js';
import { MINUTE, refreshInterval, runVisit, type Device } from '../session-life.js';
import { attackerSpot, lastTime, markAttacker, sessionEntities, victim, type AttackScenario } from './common.js';

/**
 * A stolen session token replayed from another network (malware, a leaked log, a shared
 * device), while its owner keeps using the session. Two ways it plays out, half each:
 * - the copy is stale (the owner has refreshed since): the thief's first refresh is a reuse;
 * - the copy is current: the thief's refresh succeeds and rotates the token, and the owner's
 *   next refresh (within 15 min, as the owner is active) presents the older generation.
 * Either way the server revokes the session and emits `token.reused` (RFC 9700 §4.14.2);
 * in the second case, from the owner's network, some minutes after the theft.
 */
export const tokenReplay: AttackScenario = {
  kind: 'token_replay',
  lead: (rng) => rng.between(3, 90) * MINUTE,
  run(ctx, rng, start, injected, id) {
    const { city, home, client, session } = victim(ctx, rng, start);
    const thief = attackerSpot(ctx, rng, city);
    const owner: Device = { held: 0 };
    const copy: Device = { held: 0 };
    const stale = rng.chance(0.5);
    const attackerEvents: DomainEvent[] = [];
    let thiefUsable = true;
    const thiefRefresh = (at: number) => (): DomainEvent[] => {
      if (!thiefUsable) return [];
      const outcome = session.refresh(Math.round(at), thief.network, copy.held);
      attackerEvents.push(...outcome.events);
      thiefUsable = outcome.ok;
      if (outcome.ok) copy.held = outcome.generation;
      return [];
    };
    // A stale copy was taken when the session was created; a current one at the theft.
    const interrupts = [
      {
        at: injected,
        run: (): DomainEvent[] => {
          if (!stale) copy.held = owner.held;
          return thiefRefresh(injected)();
        },
      },
      // The thief keeps the session warm a couple of times, if it can.
      ...[1, 2].map((i) => {
        const at = injected + i * rng.between(1, 6) * MINUTE;
        return { at, run: thiefRefresh(at) };
      }),
    ];
    const events: DomainEvent[] = [session.created(Math.round(start), home.network)];
    // The owner is active across the theft and for 15–40 min after it.
    const length = injected - start + rng.between(15, 40) * MINUTE;
    const visit = runVisit(session, owner, rng, { start, length, spotAt: () => home, resume: false, interrupts, until: ctx.end });
    events.push(...visit.events, ...attackerEvents);
    const reuse = events.find((e) => e.type === 'token.reused');
    // The owner, locked out, starts a new session and carries on (a legitimate session).
    if (reuse && reuse.time < ctx.end) {
      const fresh = new SimSession(simulatedId(reuse.time, rng), simulatedId(reuse.time, rng), client);
      const at = Math.round(reuse.time + rng.between(1, 60) * 1000 + (reuse.network?.ip_prefix === home.network.ip_prefix ? 0 : refreshInterval(rng)));
      events.push(fresh.created(at, home.network));
      ctx.truth.legitSession(fresh.id, fresh.userId, 'home');
    }
    const reusedByThief = attackerEvents.some((e) => e.type === 'token.reused');
    const first = attackerEvents[0]?.time ?? injected;
    ctx.truth.label(
      {
        id,
        kind: 'token_replay',
        injected: first,
        until: Math.max(reuse?.time ?? first, lastTime(attackerEvents, first)),
        entities: sessionEntities(session),
        note: `${reusedByThief ? 'stale copy, reused by the thief' : 'current copy, the owner reuses later'} from a ${thief.kind} /24 (${thief.owner})`,
      },
      reuse?.time ?? Infinity,
    );
    markAttacker(ctx, attackerEvents, first, new Set([thief.network.ip_prefix]));
    return events;
  },
};
