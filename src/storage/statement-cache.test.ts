import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cachingStatements } from './statement-cache.js';

interface Table {
  items: { id: number; name: string };
}

function open(maxStatements?: number) {
  const connection = new BetterSqlite3(':memory:');
  let prepared = 0;
  const prepare = connection.prepare.bind(connection);
  connection.prepare = ((source: string) => {
    prepared += 1;
    return prepare(source);
  }) as typeof connection.prepare;
  const db = new Kysely<Table>({
    dialect: new SqliteDialect({ database: cachingStatements(connection, maxStatements === undefined ? {} : { maxStatements }) }),
  });
  return { db, connection, prepared: () => prepared };
}

describe('cachingStatements', () => {
  it('should prepare a query once and reuse it with other parameters', async () => {
    const { db, prepared } = open();
    await sql`create table items (id integer primary key, name text)`.execute(db);
    for (const [id, name] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const)
      await db.insertInto('items').values({ id, name }).execute();
    const before = prepared();
    for (const id of [1, 2, 3]) {
      const row = await db.selectFrom('items').select('name').where('id', '=', id).executeTakeFirst();
      assert.equal(row?.name, ['a', 'b', 'c'][id - 1]);
    }
    assert.equal(prepared() - before, 1);
    await db.destroy();
  });

  it('should hand out a fresh statement while the cached one is still iterating', () => {
    // Kysely never lets this happen (see the module comment); the wrapper must cope anyway.
    const connection = new BetterSqlite3(':memory:');
    connection.exec("create table items (id integer primary key, name text); insert into items values (1, 'a'), (2, 'b')");
    const database = cachingStatements(connection);
    const source = 'select name from items order by id';
    const streaming = database.prepare(source);
    const iterator = streaming.iterate([]);
    assert.deepEqual(iterator.next().value, { name: 'a' });
    const second = database.prepare(source);
    assert.notEqual(second, streaming);
    assert.deepEqual(second.all([]), [{ name: 'a' }, { name: 'b' }]);
    iterator.return?.();
    assert.equal(database.prepare(source), streaming, 'the cached statement is handed out again once it is free');
    database.close();
  });

  it('should keep at most maxStatements statements', async () => {
    const { db, prepared } = open(2);
    await sql`create table items (id integer primary key, name text)`.execute(db);
    const queries = [1, 2, 3].map((n) => () => sql`select ${sql.lit(n)} as n`.execute(db));
    for (const query of queries) await query();
    const before = prepared();
    await queries[2]!(); // among the two newest
    assert.equal(prepared(), before);
    await queries[0]!(); // pushed out by the third
    assert.equal(prepared(), before + 1);
    await db.destroy();
  });
});
