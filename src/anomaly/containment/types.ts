import type { ContainmentAction, Entity } from '../types.js';

/** The actions that last for a time and are enforced per request. */
export type LastingAction = 'throttle' | 'block_prefix' | 'quarantine';

/** A throttle, prefix block or quarantine in force until `expiresAt`. */
export interface Block {
  id: string;
  action: LastingAction;
  entity: Entity;
  detector: string;
  alertId: string | null;
  createdAt: number;
  expiresAt: number;
  liftedAt: number | null;
}

/** What containment does for one detector's findings, and for how long. */
export interface ContainmentRule {
  action: ContainmentAction;
  durationMs: number;
}

/** The rule for a detector (from the engine configuration). */
export type ContainmentPolicy = (detector: string) => ContainmentRule;
