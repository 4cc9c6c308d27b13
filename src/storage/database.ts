import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createPrivateFile, createPrivateFolder } from './private-files.js';
import type { Database } from './schema.js';
import { WalSync } from './wal-sync.js';
import { durableSqliteDialect } from './durable-sqlite.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `postgres://…`, `postgresql://…`, `sqlite:PATH` or a plain file path. */
  url: string;
  /** PostgreSQL schema holding the tables; created if missing. @default 'public' */
  schema?: string;
  /** Largest PostgreSQL pool. @default 10 */
  poolSize?: number;
}

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  schema: string;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

const externalChangeCounters = new WeakMap<Kysely<Database>, () => number>();

/**
 * A number that changes whenever another connection (another process: the CLI, a second
 * server on the same file) commits to the database behind `db`; undefined where no such number
 * is cheap to read (PostgreSQL). Writes through `db` itself never change it. In-memory caches
 * compare it before trusting what they hold, so a change made elsewhere is seen at once.
 * Kept beside the connection rather than on Store so features holding only `db` can ask.
 */
export function externalChangeCounter(db: Kysely<Database>): (() => number) | undefined {
  return externalChangeCounters.get(db);
}

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/** The SQLite database file a URL names; undefined for PostgreSQL and in-memory databases. */
export function sqliteFileOf(url: string): string | undefined {
  if (dialectOf(url) !== 'sqlite') return undefined;
  const file = url.replace(/^sqlite:/, '');
  return file === ':memory:' ? undefined : resolve(file);
}

export async function openDatabase({ url, schema = 'public', poolSize = 10 }: DatabaseOptions): Promise<Store> {
  return dialectOf(url) === 'postgres' ? openPostgres(url, schema, poolSize) : openSqlite(url);
}

function openSqlite(url: string): Store {
  const file = sqliteFileOf(url);
  if (file) {
    // Owner-only before SQLite opens it: the file holds e-mail addresses and password hashes,
    // and SQLite creates the -wal and -shm files with the database file's mode.
    createPrivateFolder(dirname(file));
    createPrivateFile(file);
  }
  const connection = new BetterSqlite3(file ?? ':memory:');
  // WAL lets readers run beside the single writer. A 2xx must mean the data survives a power
  // loss, not only a crash of this process: every commit's WAL frames are flushed to the disk
  // before its caller goes on, by WalSync off the event loop rather than by SQLite inside
  // COMMIT (synchronous=FULL), which stopped the server for each flush. wal-sync.ts says why
  // NORMAL plus that flush keeps FULL's guarantee.
  connection.pragma('journal_mode = WAL');
  connection.pragma(file ? 'synchronous = NORMAL' : 'synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const sync = file ? new WalSync(`${file}-wal`) : undefined;
  const db = new Kysely<Database>({ dialect: durableSqliteDialect(connection, sync) });
  // PRAGMA data_version (https://sqlite.org/pragma.html#pragma_data_version): a few µs, read
  // directly (not through Kysely's connection queue) because it is a read and cannot interfere.
  const dataVersion = connection.prepare<[], number>('pragma data_version').pluck();
  externalChangeCounters.set(db, () => dataVersion.get()!);
  return {
    db,
    dialect: 'sqlite',
    schema: 'main',
    ping: async () => {
      connection.prepare('select 1').get();
    },
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, schema: string, poolSize: number): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Every connection works inside the configured schema, so table names stay unqualified.
    options: `-c search_path=${schema}`,
    // Epoch-millisecond timestamps are bigint columns; they fit a JS number exactly until the
    // year 287396, so parse them as numbers instead of pg's default strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  return {
    db,
    dialect: 'postgres',
    schema,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
