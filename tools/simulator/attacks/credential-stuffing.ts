import type { DomainEvent } from '../../../src/events/types.js';
import type { SimContext } from '../context.js';
import { simulatedAccountKey, simulatedId } from '../ids.js';
import type { Spot } from '../places/index.js';
import type { Rng } from '../prng.js';
import { SERVER_LIMITS, SimLimiter, SimSession } from '../server-model.js';
import { MINUTE, runVisit } from '../session-life.js';
import { lastTime, logUniform, markAttacker, type AttackScenario } from './common.js';

/** The server's per-IP window for account endpoints (accounts/http/common.ts). */
const ACCOUNT_WINDOW = 15 * MINUTE;

/**
 * One login attempt with a leaked (address, password) pair. 95% of leaked addresses have no
 * account here (still a `login.failed`: the server answers the same either way); for the 5%
 * that do, the password was reused 20% of the time and the login succeeds.
 */
export function stuffingAttempt(ctx: SimContext, rng: Rng, at: number, spot: Spot, events: DomainEvent[]): void {
  const existing = rng.chance(0.05) ? rng.pick(ctx.accounts) : undefined;
  const accountKey = existing?.accountKey ?? simulatedAccountKey(rng);
  if (!existing || !rng.chance(0.2) || ctx.guestOnly) {
    events.push({ type: 'login.failed', time: at, account_key: accountKey, reason: 'bad_credentials', network: spot.network });
    return;
  }
  const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
  const session = new SimSession(simulatedId(at, rng), existing.userId, client, true);
  events.push(session.created(at, spot.network));
  events.push({
    type: 'login.succeeded',
    time: at,
    client_id: client.id,
    subject: existing.userId,
    session_id: session.id,
    account_key: accountKey,
    method: 'password',
    network: spot.network,
  });
  // The tool checks the account works (reads it) and moves on.
  events.push(
    ...runVisit(session, { held: 0 }, rng, { start: at, length: rng.between(0.5, 3) * MINUTE, spotAt: () => spot, resume: false, until: ctx.end }).events,
  );
}

/**
 * Credential stuffing from one /24: a tool on a handful of its addresses tries leaked pairs
 * at 10–200 a minute for 10–40 minutes, one account each. The server's per-IP limit (50
 * attempts per 15 min) refuses much of it with 429 and no event, so what detectors see is
 * bounded by the number of addresses the attacker has.
 */
export const credentialStuffing: AttackScenario = {
  kind: 'credential_stuffing',
  lead: () => 0,
  run(ctx, rng, _start, injected, id) {
    const spot = rng.chance(0.5) ? ctx.places.cloud(rng) : ctx.places.residential(rng.pick(ctx.places.cities), rng);
    const addresses = rng.int(4, 64);
    const rate = logUniform(rng, 10, 200);
    const length = rng.between(10, 40) * MINUTE;
    const perIp = new SimLimiter(SERVER_LIMITS.accountAttemptsPerIpPer15Min, ACCOUNT_WINDOW);
    const events: DomainEvent[] = [];
    let attempts = 0;
    for (let t = injected; t < injected + length; t += rng.exponential(MINUTE / rate)) {
      const at = Math.round(t);
      if (!perIp.hit(`${rng.int(1, addresses)}`, at)) continue;
      attempts += 1;
      stuffingAttempt(ctx, rng, at, spot, events);
    }
    if (events.length === 0) return events;
    const first = events.reduce((min, e) => Math.min(min, e.time), Infinity);
    ctx.truth.label({
      id,
      kind: 'credential_stuffing',
      injected: first,
      until: lastTime(events, first),
      entities: [{ kind: 'prefix', id: spot.network.ip_prefix }],
      note: `${Math.round(rate)}/min for ${Math.round(length / MINUTE)} min from ${addresses} addresses of a ${spot.kind} /24 (${spot.owner}); ${attempts} attempts got through`,
    });
    markAttacker(ctx, events, first, new Set([spot.network.ip_prefix]));
    return events;
  },
};
