import type { AlertStore } from './alerts/store.js';
import type { Alert } from './alerts/types.js';
import type { BlockStore } from './containment/store.js';
import type { Block } from './containment/types.js';

/** One change as the live view sends it: the alert or block as it now stands (a client upserts by id). */
export type SecurityChange = { kind: 'alert'; at: number; alert: Alert } | { kind: 'block'; at: number; block: Block };

export type ChangeListener = (changes: SecurityChange[]) => void;

export interface SecurityFeedOptions {
  alerts: Pick<AlertStore, 'changedSince'>;
  blocks: Pick<BlockStore, 'changedSince'>;
  now: () => number;
  onError: (error: unknown, what: string) => void;
  /** @default 1000 */
  pollMs?: number;
}

/**
 * Another node's write (or a slow commit here) may carry a change time a little older than the
 * last read: every read goes back this far, and changes already sent are recognised and skipped.
 */
const OVERLAP_MS = 5000;
/** Alerts one read takes; a burst beyond it is sent over the next reads. (Blocks are few: the sync reads them all too.) */
const READ_LIMIT = 500;

const changedAt = (block: Block) => block.liftedAt ?? block.createdAt;

/**
 * The security page's live view: alerts raised, repeated or given a verdict, and blocks placed
 * or lifted, on any node. The database is the source (every node writes there), read by one
 * poll per node while at least one stream listens, whatever the number of streams; a change
 * made on this node wakes the poll at once (`poke`). Changes are whole rows, so one sent twice
 * (after the overlap, or a reconnection) is harmless.
 */
export class SecurityFeed {
  private readonly listeners = new Set<ChangeListener>();
  /** Key (kind:id) → change time already sent, for the overlap window only. */
  private readonly sent = new Map<string, number>();
  private readFrom = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: SecurityFeedOptions) {}

  get size(): number {
    return this.listeners.size;
  }

  /**
   * Listens from now; with `since` (a change time from an earlier stream's `id`), the changes
   * from then are read for this listener first (up to READ_LIMIT per table).
   */
  async subscribe(listener: ChangeListener, since?: number): Promise<() => void> {
    if (this.listeners.size === 0) {
      this.readFrom = this.options.now();
      this.sent.clear();
      this.timer = setInterval(() => this.poke(), this.options.pollMs ?? 1000);
      this.timer.unref();
    }
    this.listeners.add(listener);
    if (since !== undefined) {
      const { changes } = await this.read(since - OVERLAP_MS);
      if (changes.length > 0 && this.listeners.has(listener)) listener(changes);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Reads what changed now (coalesced with a read in progress). */
  poke(): void {
    if (this.listeners.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.poll()
      .catch((error: unknown) => this.options.onError(error, 'reading alert and block changes for the live view'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Drops every listener (server shutdown). */
  close(): void {
    this.listeners.clear();
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    const startedAt = this.options.now();
    const from = this.readFrom - OVERLAP_MS;
    const { changes, completeUntil } = await this.read(from);
    const fresh = changes.filter((change) => {
      const key = `${change.kind}:${change.kind === 'alert' ? change.alert.id : change.block.id}`;
      if (this.sent.get(key) === change.at) return false;
      this.sent.set(key, change.at);
      return true;
    });
    // Forget what has left the window: it cannot be read again.
    for (const [key, at] of this.sent) if (at < from) this.sent.delete(key);
    this.readFrom = Math.min(startedAt, completeUntil);
    if (fresh.length === 0) return;
    for (const listener of this.listeners) listener(fresh);
  }

  /** The changes since `since`, oldest first, and the time up to which they are all there (a full page of alerts stops short). */
  private async read(since: number): Promise<{ changes: SecurityChange[]; completeUntil: number }> {
    const [alerts, blocks] = await Promise.all([this.options.alerts.changedSince(since, READ_LIMIT), this.options.blocks.changedSince(since)]);
    const changes: SecurityChange[] = [
      ...alerts.map((alert) => ({ kind: 'alert' as const, at: alert.updatedAt, alert })),
      ...blocks.map((block) => ({ kind: 'block' as const, at: changedAt(block), block })),
    ];
    const completeUntil = alerts.length === READ_LIMIT ? alerts[alerts.length - 1]!.updatedAt + OVERLAP_MS : Number.POSITIVE_INFINITY;
    return { changes: changes.sort((a, b) => a.at - b.at), completeUntil };
  }
}
