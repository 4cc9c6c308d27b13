import type { DomainEvent } from '../../src/events/types.js';
import type { Spot } from './places/index.js';
import type { Rng } from './prng.js';
import type { SimSession } from './server-model.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** Access tokens live 15 min (the default): clients refresh a little before expiry. */
export function refreshInterval(rng: Rng): number {
  return rng.between(10, 14.5) * MINUTE;
}

/** How long one visit lasts: log-normal, median 9 min, a long tail up to 4 h. */
export function visitLength(rng: Rng): number {
  return Math.min(4 * HOUR, Math.max(0.5 * MINUTE, rng.logNormal(9 * MINUTE, 1)));
}

export interface VisitOptions {
  start: number;
  length: number;
  /** Where the device is at a time (a phone leaving home Wi-Fi, a VPN switched on). */
  spotAt: (time: number) => Spot;
  /** The visit resumes a session whose access token has expired: it starts with a refresh. */
  resume: boolean;
  /** Probability that a second open tab refreshes the same token at (nearly) the same time. */
  twoTabs?: number;
  /** Stop before this time (the end of the simulated window, or a conversion). */
  until?: number;
  /** Something else happens to the session at a time (an attacker uses a stolen copy): run it in order. */
  interrupts?: Interrupt[];
}

/** An action by someone other than the device, at `at`, interleaved with the visit in time order. */
export interface Interrupt {
  at: number;
  run: () => DomainEvent[];
}

/** What the device holds: the generation of its session token (an attacker's copy is another Device). */
export interface Device {
  held: number;
}

/**
 * Drives one guest session as its device holds it: a refresh every 10–15 min, telemetry
 * batches in between (mean 75 s), an occasional metadata write. Returns the events and
 * whether the session is still usable at the end (a revoked one is not).
 */
export function runVisit(session: SimSession, device: Device, rng: Rng, options: VisitOptions): { events: DomainEvent[]; end: number; usable: boolean } {
  const events: DomainEvent[] = [];
  const stop = Math.min(options.start + options.length, options.until ?? Infinity);
  const interrupts = [...(options.interrupts ?? [])].sort((a, b) => a.at - b.at);
  const interruptUntil = (time: number): void => {
    while (interrupts.length > 0 && interrupts[0]!.at <= time) events.push(...interrupts.shift()!.run());
  };
  let t = options.start;
  if (options.resume) {
    interruptUntil(t);
    const outcome = session.refresh(Math.round(t), options.spotAt(t).network, device.held);
    events.push(...outcome.events);
    if (!outcome.ok) return { events, end: t, usable: false };
    device.held = outcome.generation;
  }
  let nextRefresh = t + refreshInterval(rng);
  let nextTelemetry = t + rng.exponential(75_000);
  for (;;) {
    t = Math.min(nextRefresh, nextTelemetry);
    if (t > stop) break;
    interruptUntil(t);
    const at = Math.round(t);
    const { network } = options.spotAt(t);
    if (t === nextTelemetry) {
      events.push(session.telemetry(at, network, 1 + rng.poisson(6), rng.chance(0.03) ? 1 : 0));
      if (rng.chance(0.04)) events.push(session.metadataUpdated(at + rng.int(50, 900), network, rng.int(40, 1800)));
      nextTelemetry += rng.exponential(75_000);
      continue;
    }
    const held = device.held;
    const outcome = session.refresh(at, network, held);
    events.push(...outcome.events);
    if (!outcome.ok) return { events, end: t, usable: false };
    device.held = outcome.generation;
    if (options.twoTabs !== undefined && rng.chance(options.twoTabs)) {
      // The other tab read the same token from storage and refreshes it a moment later.
      events.push(...session.refresh(at + rng.int(20, 2500), network, held).events);
    }
    nextRefresh += refreshInterval(rng);
  }
  interruptUntil(stop);
  return { events, end: stop, usable: !session.revoked };
}
