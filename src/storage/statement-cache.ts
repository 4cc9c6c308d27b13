import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import { BoundedLru } from '../shared/bounded-lru.js';

export interface StatementCacheOptions {
  /** Most statements kept; past it the least recently used is dropped. @default 500 */
  maxStatements?: number;
}

/**
 * The better-sqlite3 connection as Kysely's SqliteDialect sees it, except that `prepare(sql)`
 * returns a statement prepared earlier for the same SQL. Kysely calls `prepare` for every
 * query, and compiling SQL cost about a tenth of a token request's CPU.
 *
 * Why sharing a statement is safe: Kysely's SqliteConnection (kysely 0.28,
 * dialect/sqlite/sqlite-driver.js) calls `prepare(sql)` and then `stmt.all(parameters)` or
 * `stmt.run(parameters)` in the same synchronous turn, binding all parameters in that call,
 * so a statement is finished and reset before any other query can reach it. Only
 * `streamQuery` keeps a statement open across awaits (`stmt.iterate()`), and it holds the
 * connection while it does: SqliteDriver's mutex, or inside a transaction
 * SingleConnectionProvider, makes every other query wait until the stream ends. Should that
 * ever change, a busy statement is still never handed out twice: the second caller gets a
 * fresh, uncached one. Kysely never calls the methods that would change a shared statement
 * for later users (`pluck`, `raw`, `expand`, `safeIntegers`, `bind`).
 *
 * The SQL text is the key. Kysely passes values as parameters, so the distinct texts are about
 * the queries in the code (times the lengths of `in (…)` lists and multi-row inserts); the
 * bound stops a query built from data from growing the cache without end.
 */
/** What Kysely's SqliteDialect needs of a connection, with better-sqlite3's own statement type. */
export interface CachingStatements {
  prepare(sql: string): Statement<unknown[]>;
  close(): void;
}

export function cachingStatements(connection: BetterSqlite3Database, { maxStatements = 500 }: StatementCacheOptions = {}): CachingStatements {
  // A hit relinks the entry instead of re-inserting the key into a Map: V8 keeps every deleted
  // entry in its bucket's chain until it rehashes, so the few statements every request runs
  // would walk ever longer chains (shared/bounded-lru.ts). Dropping an evicted statement is
  // enough: better-sqlite3 finalizes it when it is garbage-collected, or when the connection
  // closes.
  const statements = new BoundedLru<string, Statement<unknown[]>>(maxStatements);
  return {
    prepare(sql: string) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = connection.prepare<unknown[]>(sql);
      if (!cached) statements.set(sql, statement);
      return statement;
    },
    close() {
      connection.close();
    },
  };
}
