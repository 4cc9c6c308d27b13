import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/** Where a value goes, in a query built once: `build` puts one of these wherever a value would be. */
class Slot {
  constructor(readonly index: number) {}
}

/** The placeholder of the `index`-th value (typed as the value it stands for, so Kysely's builders accept it). */
export type SlotOf = <T>(index: number) => T;

/**
 * A statement that Kysely builds and compiles once, then runs with new values: for the few
 * statements every refresh runs (the user's row, the erasure denylist, the rotation's
 * compare-and-set), where building and compiling the same query again each time was a few µs
 * of CPU per statement (an immutable operation tree, then its SQL text). Running it still goes
 * through Kysely's executor, so its connection handling (SQLite's single connection and its
 * mutex, a caller's transaction) is unchanged.
 *
 * `build` must put each value through `slot(i)` and nowhere else, and must not branch on values:
 * the SQL text is the same for every run. A value Kysely writes into the SQL itself (`is null`,
 * an identifier) cannot be a slot; use a fixed one in the builder.
 */
export class PreparedQuery<Row> {
  private compiled: CompiledQuery<Row> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly build: (db: Kysely<Database>, slot: SlotOf) => Compilable<Row>,
  ) {}

  /** Runs the statement with `values` (by slot index) on `db` (this store's, or a transaction of it). */
  execute(values: readonly unknown[], db: Kysely<Database> = this.db): Promise<QueryResult<Row>> {
    const compiled = (this.compiled ??= this.compile(values.length));
    const parameters = compiled.parameters.map((parameter) => (parameter instanceof Slot ? values[parameter.index] : parameter));
    return db.executeQuery<Row>({ ...compiled, parameters });
  }

  /** The first row, or undefined. */
  async first(values: readonly unknown[], db?: Kysely<Database>): Promise<Row | undefined> {
    return (await this.execute(values, db)).rows[0];
  }

  private compile(arity: number): CompiledQuery<Row> {
    const compiled = this.build(this.db, <T>(index: number) => new Slot(index) as T).compile();
    const used = new Set(compiled.parameters.filter((parameter) => parameter instanceof Slot).map((slot) => (slot as Slot).index));
    // A slot Kysely did not pass as a parameter (dropped, or written into the SQL) would have
    // its value ignored on every run: refuse the statement instead.
    if (used.size !== arity || [...used].some((index) => index >= arity)) {
      throw new Error(`a prepared statement must pass each of its ${arity} values as a parameter: ${compiled.sql}`);
    }
    return compiled;
  }
}
