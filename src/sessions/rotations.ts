/**
 * Group commit of session rotations. Each refresh's compare-and-set used to be a transaction
 * of its own, with a disk flush of its own: the disk, not the CPU, set the pace of refresh, and
 * on PostgreSQL every rotation was its own round trips and WAL flush. Here the rotations of concurrent refreshes share one transaction, and each caller
 * learns its outcome only after that transaction has committed, so an answered refresh is a
 * stored one. There is no window to wait out: an idle queue commits at the end of the current
 * turn of the event loop, and what arrives while a commit runs forms the next group.
 */
import { GroupCommit } from '../shared/group-commit.js';

/**
 * One compare-and-set: the session's generation from `from` to `from + 1`. A first refresh
 * (`from` 0) carries the seed of the row it creates at generation 1 when the session has none.
 */
export interface Rotation {
  id: string;
  from: number;
  now: number;
  ipPrefix: string | null;
}

/**
 * Applies rotations atomically (one transaction, or one statement), in order, and says which of
 * them took. Two rotations of one session in the same group must behave as they would one after
 * the other: the second sees the first's write.
 */
export type ApplyRotations<R extends Rotation> = (rotations: readonly R[]) => Promise<boolean[]>;

interface Waiting<R> {
  rotation: R;
  resolve: (rotated: boolean) => void;
  reject: (error: unknown) => void;
}

/** Beyond this many, a group commits at once: its transaction stays short for the readers waiting on SQLite's one connection. */
const MAX_GROUP = 500;

export class RotationGroup<R extends Rotation> {
  private readonly group: GroupCommit<Waiting<R>>;

  constructor(private readonly apply: ApplyRotations<R>) {
    this.group = new GroupCommit({ intervalMs: 0, maxGroupSize: MAX_GROUP, commit: (group) => this.commit(group) });
  }

  /** Resolves with whether the compare-and-set took, once the transaction holding it has committed. */
  rotate(rotation: R): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => this.group.add({ rotation, resolve, reject }));
  }

  /** Commits what is queued; for shutdown after the last request. */
  drain(): Promise<void> {
    return this.group.drain();
  }

  private async commit(group: Waiting<R>[]): Promise<void> {
    try {
      const results = await this.apply(group.map(({ rotation }) => rotation));
      for (const [index, waiting] of group.entries()) waiting.resolve(results[index]!);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // A failed group (a deadlock with another node, a lost connection) must not fail its
      // members for each other: each is tried again alone, and only one that fails alone fails.
      for (const waiting of group) {
        await this.apply([waiting.rotation]).then(
          ([rotated]) => waiting.resolve(rotated!),
          (failure: unknown) => waiting.reject(failure),
        );
      }
    }
  }
}
