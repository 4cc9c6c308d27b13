export interface GroupCommitOptions<T> {
  /**
   * How long the first item of a group waits for others to join it. 0 waits for no timer: an
   * idle writer commits once the current turn of the event loop has queued what it read
   * (setImmediate), so a lone item pays no window and a burst still shares one commit.
   */
  intervalMs: number;
  /** A group this large (in `sizeOf` units) commits at once instead of waiting out the interval. */
  maxGroupSize: number;
  /** What one item weighs against `maxGroupSize`. @default 1 */
  sizeOf?: (item: T) => number;
  /**
   * How many groups may commit at once, each on its own connection. 1 keeps groups strictly one
   * after another. More lets the next group start while a commit waits on the database (its
   * round trips and WAL flush), for a writer whose items commit correctly in any order.
   * @default 1
   */
  concurrency?: number;
  /** Writes one group. It handles its own failures: a rejection here is only swallowed. */
  commit: (group: T[]) => Promise<void>;
}

/**
 * The scheduling of a group commit, shared by the writers that use it (telemetry's events,
 * the audit log): items queued by concurrent callers are written together every few
 * milliseconds, one group at a time (or `concurrency` at a time). Items that arrive while
 * every slot commits form the next group, which starts as soon as a running one ends, so under
 * load the interval never adds latency on top of a commit; a group that reaches `maxGroupSize`
 * does not wait at all.
 */
export class GroupCommit<T> {
  private queue: T[] = [];
  private queuedSize = 0;
  private timer: Wait | undefined;
  /** The commits under way, at most `concurrency`. */
  private readonly running = new Set<Promise<void>>();
  private readonly sizeOf: (item: T) => number;
  private readonly concurrency: number;

  constructor(private readonly options: GroupCommitOptions<T>) {
    this.sizeOf = options.sizeOf ?? (() => 1);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** What is queued and not yet handed to a commit, in `sizeOf` units. */
  get queued(): number {
    return this.queuedSize;
  }

  add(item: T): void {
    this.queue.push(item);
    this.queuedSize += this.sizeOf(item);
    this.schedule();
  }

  /** Puts a failed group back at the head of the queue, to be retried before anything newer. */
  requeue(items: readonly T[]): void {
    if (items.length === 0) return;
    this.queue.unshift(...items);
    for (const item of items) this.queuedSize += this.sizeOf(item);
    // Not at once: a database that just failed gets the interval (1 ms at least) before it is asked again.
    this.timer ??= wait(Math.max(1, this.options.intervalMs), () => {
      this.timer = undefined;
      if (this.running.size < this.concurrency) void this.startGroup();
    });
  }

  /**
   * Commits what is queued now, without waiting for the interval, and resolves when that commit
   * has ended. A group that fails and is requeued waits for its retry: drain does not spin on it.
   */
  async drain(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.settled();
    if (this.queue.length > 0) await this.startGroup();
    await this.settled();
  }

  private async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private schedule(): void {
    if (this.running.size >= this.concurrency) return; // a running commit starts the next group when it ends
    if (this.queuedSize >= this.options.maxGroupSize) {
      this.timer?.cancel();
      this.timer = undefined;
      void this.startGroup();
      return;
    }
    this.timer ??= wait(this.options.intervalMs, () => {
      this.timer = undefined;
      void this.startGroup();
    });
  }

  private startGroup(): Promise<void> {
    const group = this.queue;
    this.queue = [];
    this.queuedSize = 0;
    const running: Promise<void> = (group.length === 0 ? Promise.resolve() : this.options.commit(group))
      .catch(() => {})
      .finally(() => {
        this.running.delete(running);
        if (this.queue.length > 0 && this.timer === undefined && this.running.size < this.concurrency) void this.startGroup();
      });
    this.running.add(running);
    return running;
  }
}

interface Wait {
  cancel(): void;
}

/** A timer of `ms`, or for 0 the end of the current turn of the event loop (after its I/O). */
function wait(ms: number, run: () => void): Wait {
  if (ms === 0) {
    const immediate = setImmediate(run);
    return { cancel: () => clearImmediate(immediate) };
  }
  const timeout = setTimeout(run, ms);
  return { cancel: () => clearTimeout(timeout) };
}
