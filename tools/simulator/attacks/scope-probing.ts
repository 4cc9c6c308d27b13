import type { DomainEvent } from '../../../src/events/types.js';
import { simulatedId } from '../ids.js';
import { SimSession } from '../server-model.js';
import { MINUTE } from '../session-life.js';
import { refused } from '../scopes.js';
import { attackerSpot, lastTime, markAttacker, type AttackScenario } from './common.js';

/** What scope probes try: the names a token could be made to carry, by guess. */
const WORDLIST = [
  'admin',
  'root',
  'write',
  'read:all',
  'write:all',
  'users:read',
  'users:write',
  'clients:write',
  'internal',
  'openid',
  'offline_access',
  'payments',
  'billing:read',
  'admin:read',
  'superuser',
  'manage',
  'api',
  'full_access',
  'impersonate',
  'delete',
  'export',
  'orders:write',
  'staff',
  'debug',
];

/**
 * Scope probing: a script with the app's public client id asks POST /anonymous/token for
 * scope after scope it may not have, one to three names a request, 6–24 names over one to
 * ten minutes, now and then a valid request in between (the session it gets is what it will
 * use if a name sticks). Every refusal is `scope.refused` from one network; no rate limit is
 * near. Named by its network.
 */
export const scopeProbing: AttackScenario = {
  kind: 'scope_probing',
  lead: () => 0,
  run(ctx, rng, _start, injected, id) {
    const spot = attackerSpot(ctx, rng);
    const client = rng.chance(0.7) ? ctx.clients.web : ctx.clients.mobile;
    const names = [...WORDLIST].sort(() => rng.next() - 0.5).slice(0, rng.int(6, 24));
    const length = rng.between(1, 10) * MINUTE;
    const events: DomainEvent[] = [];
    let t = injected;
    for (let i = 0; i < names.length; ) {
      const take = Math.min(rng.int(1, 3), names.length - i);
      events.push(refused(rng, t, spot, client.id, names.slice(i, i + take), take + rng.int(0, 1)));
      i += take;
      if (rng.chance(0.2)) {
        const session = new SimSession(simulatedId(t, rng), simulatedId(t, rng), client);
        events.push(session.created(Math.round(t + 500), spot.network));
      }
      t += (length / names.length) * rng.between(0.5, 1.5);
    }
    const first = events[0]?.time ?? injected;
    ctx.truth.label({
      id,
      kind: 'scope_probing',
      injected: first,
      until: lastTime(events, first),
      entities: [{ kind: 'prefix', id: spot.network.ip_prefix }],
      note: `${names.length} scope names over ${Math.round(length / MINUTE)} min from a ${spot.kind} /24`,
    });
    markAttacker(ctx, events, first, new Set([spot.network.ip_prefix]));
    return events;
  },
};
