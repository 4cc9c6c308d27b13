import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Makes SQLite's commits durable off the event loop, one fdatasync of the WAL file for every
 * commit that finished before it started (a group commit of the disk flush).
 *
 * With `synchronous = FULL` in WAL mode, SQLite fsyncs the WAL inside COMMIT, and better-sqlite3
 * runs COMMIT on the event loop: every write request stopped the whole server for one disk
 * flush (0.3 to several ms), which profiles showed as 13 to 60% of the time of the write paths.
 * With `synchronous = NORMAL`, COMMIT only writes the WAL frames to the operating system, and
 * this class flushes them: the commit's caller is answered only after an fdatasync of the WAL
 * that began after its COMMIT returned. The WAL is appended in order, so that flush holds every
 * frame of that commit and of all before it: what a caller is told is stored survives a power
 * loss, as with FULL. Checkpoints still sync the WAL and the database file themselves (SQLite
 * does so under NORMAL too), and a reused WAL's header is synced by SQLite when reuse begins.
 *
 * Reads wait as well when commits are still unflushed: a request that read a row committed a
 * moment before answers only once that row is on disk, so no answer ever reports something a
 * crash could take back (as PostgreSQL shows a commit only after its WAL flush).
 */
export class WalSync {
  private fd: number | undefined;
  /** Commits (and autocommitted writes) whose flush was asked for, counted. */
  private committed = 0;
  /** The highest `committed` count a finished flush covers. */
  private flushed = 0;
  private flushing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** A failed flush: the kernel may have dropped those pages, so no later flush can vouch for them. */
  private failure: unknown;

  /** `flushFile` is fs.fdatasync; tests pass one that lets them see and hold each flush. */
  constructor(
    private readonly walFile: string,
    private readonly flushFile: (fd: number, done: (error: Error | null) => void) => void = fdatasync,
  ) {}

  /** A statement that may write ran (or is about to run) on the connection. */
  noteWrite(): void {
    this.dirty = true;
  }

  /**
   * Called when the connection is handed back. Returns what the caller must wait for: the count
   * of its own commit if it wrote, else the last unflushed commit it may have read, or 0.
   */
  release(): number {
    if (this.dirty) {
      this.dirty = false;
      this.committed += 1;
      return this.committed;
    }
    return this.committed > this.flushed ? this.committed : 0;
  }

  /** Resolves once a flush that began after commit number `target` has finished. */
  async waitFor(target: number): Promise<void> {
    while (this.flushed < target) {
      if (this.failure !== undefined) throw this.failure;
      // A flush already running may have begun before `target` committed: wait for it, then
      // for the next one, which starts after and covers it.
      this.flushing ??= this.flush();
      await this.flushing;
    }
  }

  /** Waits for every commit so far to be flushed, then releases the file. */
  async close(): Promise<void> {
    // A failed flush was reported to the callers that waited on it; closing still closes.
    if (this.committed > this.flushed && this.failure === undefined) await this.waitFor(this.committed).catch(() => {});
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async flush(): Promise<void> {
    const covers = this.committed;
    try {
      const fd = this.open();
      await new Promise<void>((resolve, reject) => this.flushFile(fd, (error) => (error ? reject(error) : resolve())));
      this.flushed = Math.max(this.flushed, covers);
    } catch (error) {
      // After a failed fsync Linux may mark the pages clean, and a later fsync succeeds without
      // writing them (PostgreSQL's "fsyncgate"). Refuse every write from now on rather than
      // acknowledge data that may be gone; a restart replays the WAL that reached the disk.
      this.failure = error;
      throw error;
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * The WAL exists once a write has run in WAL mode; it is opened at the first flush and kept:
   * SQLite truncates or rewrites it in place, and deletes it only when the last connection to
   * the database closes, which is this one closing. Its folder is synced once, so the file
   * itself survives a power loss, as SQLite does when it creates a journal under FULL.
   */
  private open(): number {
    if (this.closed) throw new Error('the SQLite database is closed');
    if (this.fd === undefined) {
      this.fd = openSync(this.walFile, 'r');
      const folder = openSync(dirname(this.walFile), 'r');
      try {
        fsyncSync(folder);
      } finally {
        closeSync(folder);
      }
    }
    return this.fd;
  }
}
