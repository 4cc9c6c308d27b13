import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type SqliteDialectConfig } from 'kysely';
import { cachingStatements } from './statement-cache.js';
import type { WalSync } from './wal-sync.js';

/**
 * Kysely's SQLite dialect on `connection`, with prepared statements reused (statement-cache.ts)
 * and commits made durable by `sync` off the event loop (wal-sync.ts): the connection must be in
 * WAL mode with `synchronous = NORMAL`. Without `sync` (an in-memory database) it is Kysely's own.
 */
export function durableSqliteDialect(connection: BetterSqlite3Database, sync: WalSync | undefined): SqliteDialect {
  const statements = cachingStatements(connection);
  if (!sync) return new SqliteDialect({ database: statements });
  const database = {
    prepare(sql: string) {
      const statement = statements.prepare(sql);
      // Kysely runs a statement in the same turn it prepares it, so a statement that is not
      // read-only marks the connection as written. COMMIT counts as read-only in SQLite's eyes
      // (it changes nothing itself), which is right: what it commits was marked when it ran.
      if (!statement.readonly) sync.noteWrite();
      return statement;
    },
    close: () => statements.close(),
  };
  return new DurableSqliteDialect({ database }, sync);
}

class DurableSqliteDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly sync: WalSync,
  ) {
    super(config);
  }

  override createDriver(): SqliteDriver {
    return new DurableSqliteDriver(this.config, this.sync);
  }
}

/**
 * Hands the single connection on at once, then makes its user wait for the flush its writes
 * (or the commits it read) need. Kysely awaits `releaseConnection` before it returns a query's
 * or a transaction's result, so no caller sees a result before the flush, while the next
 * query already runs on the connection.
 */
class DurableSqliteDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly sync: WalSync,
  ) {
    super(config);
  }

  override async releaseConnection(): Promise<void> {
    const target = this.sync.release();
    await super.releaseConnection();
    if (target > 0) await this.sync.waitFor(target);
  }

  override async destroy(): Promise<void> {
    await this.sync.close();
    await super.destroy();
  }
}
