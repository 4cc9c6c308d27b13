import type { DomainEvent } from '../../src/events/types.js';
import { attackActors } from './attacks/index.js';
import type { SimContext } from './context.js';
import { simulatedId } from './ids.js';
import { Places } from './places/index.js';
import { legitimateActors, registeredAccounts } from './population.js';
import { Rng } from './prng.js';
import { schedule } from './scheduler.js';
import { HOUR, MINUTE } from './session-life.js';
import { ATTACK_KINDS, GroundTruth, type AttackKind } from './truth.js';

/** Monday 1 June 2026, 00:00 UTC: simulated days start on a known weekday. */
export const DEFAULT_START = Date.UTC(2026, 5, 1);

export interface TrafficOptions {
  seed: number;
  hours: number;
  /** @default every kind */
  attacks?: readonly AttackKind[];
  /** Instances of each attack kind. @default one per two simulated hours (12 a day), at least 1 */
  perKind?: number;
  /** New legitimate sessions per day (flash crowds come on top). @default 40_000 */
  sessionsPerDay?: number;
  /** No attack is injected (and no flash crowd starts) before this many hours: baselines need traffic to learn from. @default min(1, hours / 4) */
  warmupHours?: number;
  /** Event time of the first event. @default DEFAULT_START */
  start?: number;
  /** Leave out everything that needs registered accounts (see SimContext.guestOnly). @default false */
  guestOnly?: boolean;
}

export interface Traffic {
  context: SimContext;
  /** The whole stream in event-time order; iterate once. Labels and cohorts fill in as it goes. */
  events: Iterable<DomainEvent>;
  truth: GroundTruth;
  options: Required<TrafficOptions>;
}

/**
 * Labelled traffic for one seed: legitimate visitors (with the hard negatives) and attacks,
 * as the domain events the server would emit, in event time. The same options give the same
 * events, byte for byte.
 */
export function generateTraffic(input: TrafficOptions): Traffic {
  const options: Required<TrafficOptions> = {
    attacks: ATTACK_KINDS,
    perKind: Math.max(1, Math.round(input.hours / 2)),
    sessionsPerDay: 40_000,
    warmupHours: Math.min(1, input.hours / 4),
    start: DEFAULT_START,
    guestOnly: false,
    ...input,
  };
  const root = new Rng(`guestpass-simulate/${options.seed}`);
  const start = options.start;
  const end = start + options.hours * HOUR;
  const places = new Places();
  const setup = root.fork('setup');
  const client = (grace: number) => ({ id: simulatedId(start - 90 * 24 * HOUR, setup), refreshGraceS: grace });
  const truth = new GroundTruth(end);
  const context: SimContext = {
    start,
    end,
    places,
    clients: { web: client(10), mobile: client(0), partner: client(0) },
    accounts: registeredAccounts(places, setup, Math.max(200, Math.round(options.sessionsPerDay * 0.5)), start),
    guestOnly: options.guestOnly,
    truth,
  };
  const quietUntil = start + options.warmupHours * HOUR;
  // Attacks end early enough to be seen: the last injection leaves a tenth of the window (at most 30 min).
  const tail = Math.min(30 * MINUTE, (end - start) / 10);
  const specs = [
    ...legitimateActors(context, root.fork('legit'), { sessionsPerDay: options.sessionsPerDay, quietUntil }),
    ...attackActors(context, root.fork('attacks'), { kinds: options.attacks, perKind: options.perKind, from: quietUntil, to: end - tail }),
  ];
  return { context, events: { [Symbol.iterator]: () => schedule(context, root.fork('actors'), specs) }, truth, options };
}
