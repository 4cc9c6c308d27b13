import type { DomainEvent } from '../../../src/events/types.js';
import { HOUR, MINUTE } from '../session-life.js';
import { stuffingAttempt } from './credential-stuffing.js';
import { lastTime, markAttacker, type AttackScenario } from './common.js';

/**
 * Low-and-slow distributed stuffing: a residential-proxy network of 100–400 home /24s in
 * cities everywhere, each trying only 1–3 leaked pairs over 1–3 hours, far below any per-IP
 * or per-prefix threshold. Only the aggregate gives it away: no single prefix can be named,
 * so a finding counts if it names one of the prefixes used, or if the credential-stuffing
 * detector names a client or an ASN (failed logins carry no client id: a deployment-wide
 * verdict is what a detector can give).
 */
export const lowAndSlowStuffing: AttackScenario = {
  kind: 'low_and_slow_stuffing',
  lead: () => 0,
  injectWithin: 1 / 3,
  run(ctx, rng, _start, injected, id, room) {
    const proxies = rng.int(100, 400);
    // Never overlapping the next instance: a deployment-wide verdict could not tell them apart.
    const length = Math.min(rng.between(1, 3) * HOUR, room);
    const events: DomainEvent[] = [];
    const prefixes = new Set<string>();
    for (let p = 0; p < proxies; p += 1) {
      const spot = ctx.places.residential(
        rng.weighted(ctx.places.cities, (c) => c.weight),
        rng,
      );
      prefixes.add(spot.network.ip_prefix);
      const tries = rng.int(1, 3);
      for (let i = 0; i < tries; i += 1) stuffingAttempt(ctx, rng, Math.round(injected + rng.between(0, length)), spot, events);
    }
    const first = events.reduce((min, e) => Math.min(min, e.time), Infinity);
    const until = lastTime(events, first);
    ctx.truth.label({
      id,
      kind: 'low_and_slow_stuffing',
      injected: first,
      until,
      entities: [
        ...[...prefixes].map((prefix) => ({ kind: 'prefix' as const, id: prefix })),
        { kind: 'client', id: '*', detectors: ['credential_stuffing'] },
        { kind: 'asn', id: '*', detectors: ['credential_stuffing'] },
      ],
      note: `${events.filter((e) => e.type === 'login.failed').length} failures from ${prefixes.size} residential /24s over ${Math.round((until - first) / MINUTE)} min (~${((events.length / Math.max(1, until - first)) * MINUTE).toFixed(1)}/min)`,
    });
    markAttacker(ctx, events, first, prefixes);
    return events;
  },
};
