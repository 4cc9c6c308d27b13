import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import { SimSession } from '../server-model.js';
import { HOUR, MINUTE, runVisit } from '../session-life.js';
import { attackerSpot, lastTime, markAttacker, sessionEntities, type AttackScenario } from './common.js';

/**
 * Slow token theft: an infostealer on a registered user's laptop copies the session token
 * when the user closes it; one to six hours later the buyer uses it from a cloud server, a
 * VPN exit or a residential proxy abroad, a few minutes every 30–90 minutes for hours, never
 * fast enough for any rate to stand out, while the laptop stays closed. When the owner comes
 * back, the refresh of the older token is reuse and the session ends (token_reuse, hours
 * late); what can tell earlier is the account's own history: its session now refreshing from
 * a kind of network or a country it has never been on.
 */
export const slowTokenTheft: AttackScenario = {
  kind: 'slow_token_theft',
  lead: (rng) => rng.between(1.5, 8) * HOUR,
  run(ctx, rng, start, injected, id) {
    if (ctx.guestOnly || ctx.accounts.length === 0) return [];
    const account = rng.pick(ctx.accounts);
    const home = ctx.places.residential(account.city, rng);
    const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
    const session = new SimSession(simulatedId(start, rng), account.userId, client, true);
    const events: DomainEvent[] = [session.created(Math.round(start), home.network)];
    events.push({
      type: 'login.succeeded',
      time: Math.round(start),
      client_id: client.id,
      subject: account.userId,
      session_id: session.id,
      account_key: account.accountKey,
      method: 'password',
      network: home.network,
    });
    ctx.truth.legitSession(session.id, account.userId, 'login');
    const owner = { held: 0 };
    const visit = runVisit(session, owner, rng, { start, length: rng.between(10, 40) * MINUTE, spotAt: () => home, resume: false, until: ctx.end });
    events.push(...visit.events);
    if (!visit.usable) return events;
    const ownerLast = lastTime(events, start);
    const at = Math.max(injected, ownerLast + rng.between(1, 6) * HOUR);
    const thief = attackerSpot(ctx, rng, account.city);
    const copy = { held: owner.held };
    const attack: DomainEvent[] = [];
    const until = at + rng.between(2, 8) * HOUR;
    for (let t = at; t < Math.min(until, ctx.end); t += rng.between(30, 90) * MINUTE) {
      const use = runVisit(session, copy, rng, { start: t, length: rng.between(1, 5) * MINUTE, spotAt: () => thief, resume: true, until: ctx.end });
      attack.push(...use.events);
      if (!use.usable) break;
    }
    events.push(...attack);
    // The owner opens the laptop again: its token is an older generation now.
    const back = lastTime(attack, at) + rng.between(1, 10) * HOUR;
    if (back < ctx.end) events.push(...session.refresh(Math.round(back), home.network, owner.held).events);
    const first = attack[0]?.time ?? at;
    ctx.truth.label({
      id,
      kind: 'slow_token_theft',
      injected: first,
      until: lastTime(attack, first),
      entities: sessionEntities(session),
      note: `stolen session used from a ${thief.kind} /24 (${home.country} → ${thief.country}) ${Math.round((first - ownerLast) / MINUTE)} min after the owner's last use`,
    });
    markAttacker(ctx, attack, first, new Set([thief.network.ip_prefix]));
    return events;
  },
};
