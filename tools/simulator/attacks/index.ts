import type { ActorSpec, SimContext } from '../context.js';
import type { Rng } from '../prng.js';
import type { AttackKind } from '../truth.js';
import { clientSwap } from './client-swap.js';
import type { AttackScenario } from './common.js';
import { credentialStuffing } from './credential-stuffing.js';
import { impossibleTravel } from './impossible-travel.js';
import { lowAndSlowStuffing } from './low-and-slow.js';
import { offHours } from './off-hours.js';
import { refreshStorm } from './refresh-storm.js';
import { scopeProbing } from './scope-probing.js';
import { sessionCycling } from './session-cycling.js';
import { signupFlood } from './signup-flood.js';
import { slowTokenTheft } from './slow-token-theft.js';
import { tokenReplay } from './token-replay.js';

export const SCENARIOS: Record<AttackKind, AttackScenario> = {
  signup_flood: signupFlood,
  refresh_storm: refreshStorm,
  token_replay: tokenReplay,
  impossible_travel: impossibleTravel,
  client_swap: clientSwap,
  credential_stuffing: credentialStuffing,
  low_and_slow_stuffing: lowAndSlowStuffing,
  off_hours: offHours,
  scope_probing: scopeProbing,
  session_cycling: sessionCycling,
  slow_token_theft: slowTokenTheft,
};

export interface AttackPlan {
  kinds: readonly AttackKind[];
  /** Instances of each kind. */
  perKind: number;
  /** Injections fall uniformly in [from, to). */
  from: number;
  to: number;
}

/**
 * Each attack instance at a random time, its actor starting early enough to set up a victim.
 * Stratified: the window is cut into one slot per instance and each is injected at a random
 * time in its own slot, so instances of one kind spread over the day instead of clumping.
 */
export function attackActors(ctx: SimContext, rng: Rng, plan: AttackPlan): ActorSpec[] {
  const specs: ActorSpec[] = [];
  const slot = (plan.to - plan.from) / Math.max(1, plan.perKind);
  for (const kind of plan.kinds) {
    const scenario = SCENARIOS[kind];
    for (let i = 0; i < plan.perKind; i += 1) {
      const name = `attack/${kind}/${i}`;
      const timing = rng.fork(name, 'timing');
      const slotStart = plan.from + i * slot;
      const injected = Math.round(slotStart + timing.between(0, slot * (scenario.injectWithin ?? 1)));
      const room = slotStart + slot - injected;
      const start = Math.max(ctx.start, injected - scenario.lead(timing));
      specs.push({ name, time: start, run: (context, actorRng) => scenario.run(context, actorRng, start, injected, `${kind}#${i + 1}`, room) });
    }
  }
  return specs;
}
