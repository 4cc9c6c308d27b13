import { BoundedLru } from '../../shared/bounded-lru.js';
import type { ContainmentAction, Finding } from '../types.js';

/** An alert this node raised recently, with the repeats not yet written. */
export interface OpenAlert {
  /** The stored id once known; until then the id it was inserted with. */
  id: string;
  action: ContainmentAction;
  /** The highest-scoring repeat not yet written. */
  best: Finding;
  pending: number;
  lastSeen: number;
}

export function dedupeKey(finding: Finding): string {
  return `${finding.detector}\u0000${finding.entity.kind}\u0000${finding.entity.id}\u0000${finding.window_start}`;
}

/**
 * Repeats of an alert (a refresh storm fires on every refresh in its window) cost a Map
 * lookup, not a write each: they are counted here and folded into the stored alert in one
 * upsert per flush. The database's unique key still deduplicates across nodes and restarts;
 * this only spares it the traffic. Bounded: the least recently seen alerts are forgotten
 * (a repeat of a forgotten one becomes an upsert that folds into the stored row).
 */
export class AlertDedupe {
  private readonly open: BoundedLru<string, OpenAlert>;
  private readonly dirty = new Set<string>();

  constructor(capacity = 10_000) {
    this.open = new BoundedLru(capacity);
  }

  /** Folds a repeat into its open alert and returns it; undefined when the finding is new here. */
  fold(finding: Finding): OpenAlert | undefined {
    const key = dedupeKey(finding);
    const open = this.open.get(key);
    if (!open) return undefined;
    open.pending += 1;
    open.lastSeen = Math.max(open.lastSeen, finding.time);
    if (finding.score > open.best.score) open.best = finding;
    this.dirty.add(key);
    return open;
  }

  remember(finding: Finding, id: string, action: ContainmentAction): OpenAlert {
    const open: OpenAlert = { id, action, best: finding, pending: 0, lastSeen: finding.time };
    this.open.set(dedupeKey(finding), open);
    return open;
  }

  /** The alerts with unwritten repeats, their counters reset. */
  takePending(): { open: OpenAlert; count: number; best: Finding; lastSeen: number }[] {
    const taken = [];
    for (const key of this.dirty) {
      const open = this.open.get(key);
      if (!open || open.pending === 0) continue;
      taken.push({ open, count: open.pending, best: open.best, lastSeen: open.lastSeen });
      open.pending = 0;
    }
    this.dirty.clear();
    return taken;
  }
}
