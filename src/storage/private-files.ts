import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data folder holds e-mail addresses, password hashes and the master key, so it and every
 * file Guestpass keeps in it belong to the server's user alone. Modes are set explicitly after
 * creation: a `mode` given to mkdir or open is filtered through the umask, and mkdir's mode does
 * nothing to a folder that already exists.
 */
export const PRIVATE_FOLDER_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** POSIX permission bits mean nothing on Windows, where access is governed by ACLs. */
const HAS_MODES = process.platform !== 'win32';

/** Creates `folder` (and missing parents) owner-only; leaves an existing folder alone. */
export function createPrivateFolder(folder: string): void {
  if (existsSync(folder)) return;
  mkdirSync(folder, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  if (HAS_MODES) chmodSync(folder, PRIVATE_FOLDER_MODE);
}

/** Writes a new owner-only file; throws EEXIST rather than overwrite one. */
export function writeNewPrivateFile(file: string, data: string): void {
  const fd = openSync(file, 'wx', PRIVATE_FILE_MODE);
  try {
    // Before the data lands, so it is never readable by others even for a moment.
    if (HAS_MODES) fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates an empty owner-only file unless one exists. SQLite accepts an empty file as a new
 * database and gives the `-wal` and `-shm` files it creates later the database file's mode.
 */
export function createPrivateFile(file: string): void {
  try {
    writeNewPrivateFile(file, '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export type Tightening = 'tightened' | 'private' | 'left-open';

/**
 * Removes group and other access from `path` if it has any. A folder with the sticky bit
 * (`/tmp` given as the data folder) or owned by another user is shared, not ours to close; a
 * read-only mount (a Kubernetes secret volume) cannot be changed. Those are `left-open`.
 */
export function tightenToPrivate(path: string): Tightening {
  if (!HAS_MODES || !existsSync(path)) return 'private';
  const stat = statSync(path);
  if ((stat.mode & 0o077) === 0) return 'private';
  if (stat.isDirectory() && ((stat.mode & 0o1000) !== 0 || stat.uid !== process.getuid?.())) return 'left-open';
  try {
    chmodSync(path, stat.isDirectory() ? PRIVATE_FOLDER_MODE : PRIVATE_FILE_MODE);
    return 'tightened';
  } catch {
    return 'left-open';
  }
}

export interface PrivateDataOptions {
  dataDir: string;
  /** The embedded database file, wherever it lives; undefined on PostgreSQL or in memory. */
  sqliteFile?: string | undefined;
}

export interface PrivateDataReport {
  /** Paths whose group and other access was removed. */
  tightened: string[];
  /** Paths others can still read because they could not (or should not) be changed. */
  leftOpen: string[];
}

/**
 * Tightens what an older Guestpass created readable by other local users (0755 folder, 0644
 * database): the data folder, the master key, and the SQLite file with its `-wal` and `-shm`.
 * Reports what it changed, and what it could not, for the start-up log. A database file
 * outside the data folder gets the same treatment; its folder is left alone, since it may be
 * shared with other software.
 */
export function tightenPrivateData({ dataDir, sqliteFile }: PrivateDataOptions): PrivateDataReport {
  const paths = [dataDir, join(dataDir, 'master.key')];
  if (sqliteFile) paths.push(sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`);
  const report: PrivateDataReport = { tightened: [], leftOpen: [] };
  for (const path of paths) {
    const outcome = tightenToPrivate(path);
    if (outcome === 'tightened') report.tightened.push(path);
    if (outcome === 'left-open') report.leftOpen.push(path);
  }
  return report;
}
