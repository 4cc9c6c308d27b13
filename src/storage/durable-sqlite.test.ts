import assert from 'node:assert/strict';
import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { durableSqliteDialect } from './durable-sqlite.js';
import { WalSync } from './wal-sync.js';

interface Table {
  items: { id: number; name: string };
}

const folder = mkdtempSync(join(tmpdir(), 'guestpass-durable-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A file database whose WAL flushes wait in `pending` until the test lets them run. */
async function open(name: string) {
  const file = join(folder, `${name}.db`);
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  const pending: Array<() => Promise<void>> = [];
  let fail: Error | undefined;
  // Each flush waits in `pending`; run, it does the real fdatasync (or fails as told) and
  // resolves once WalSync has been told the outcome.
  const sync = new WalSync(`${file}-wal`, (fd, done) =>
    pending.push(
      () =>
        new Promise<void>((resolve) => {
          if (fail) {
            done(fail);
            resolve();
          } else {
            fdatasync(fd, (error) => {
              done(error);
              resolve();
            });
          }
        }),
    ),
  );
  const db = new Kysely<Table>({ dialect: durableSqliteDialect(connection, sync) });
  const release = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(pending.splice(0).map((run) => run()));
    // What the flush's waiters do next (answer, or ask for the next flush) runs in microtasks.
    await new Promise((resolve) => setImmediate(resolve));
  };
  // The table exists and its creation is flushed before a test starts counting.
  const created = sql`create table items (id integer primary key, name text)`.execute(db);
  while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
  await release();
  await created;
  return { db, connection, pending, release, failWith: (error: Error) => (fail = error) };
}

/** Whether `promise` settled within a few turns of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('durable SQLite commits (WAL flushed off the event loop)', () => {
  it('answers a write only after a flush that began after its commit', async () => {
    const { db, connection, pending, release } = await open('write');
    const insert = db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    assert.equal(await settled(insert), false, 'the insert must wait for its flush');
    assert.equal(pending.length, 1);
    // The row is committed (visible on the connection) while its caller still waits.
    assert.deepEqual(connection.prepare('select name from items where id = 1').get(), { name: 'a' });
    await release();
    assert.equal(await settled(insert), true);
    await db.destroy();
  });

  it('covers the commits of concurrent transactions with one flush, and lets the next query run meanwhile', async () => {
    const { db, pending, release } = await open('group');
    const writes = [1, 2, 3, 4].map((id) =>
      db.transaction().execute((trx) =>
        trx
          .insertInto('items')
          .values({ id, name: `n${id}` })
          .execute(),
      ),
    );
    // Every transaction committed and handed the connection on while the first flush waits.
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(pending.length, 1, 'one flush at a time');
    await release();
    // The first flush began after the first commit only; one more covers the other three.
    assert.equal(pending.length, 1);
    await release();
    await Promise.all(writes);
    assert.equal(pending.length, 0);
    const count = await db.selectFrom('items').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    assert.equal(count.n, 4);
    await db.destroy();
  });

  it('makes a read of an unflushed commit wait for that flush', async () => {
    const { db, release } = await open('read');
    const insert = db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    await new Promise((resolve) => setImmediate(resolve));
    const read = db.selectFrom('items').selectAll().execute();
    assert.equal(await settled(read), false, 'the read saw a row that is not on disk yet');
    await release();
    assert.deepEqual(await read, [{ id: 1, name: 'a' }]);
    await insert;
    // With nothing unflushed, a read answers at once.
    assert.equal(await settled(db.selectFrom('items').selectAll().execute()), true);
    await db.destroy();
  });

  it('refuses every later write once a flush failed', async () => {
    const { db, release, failWith } = await open('failed');
    failWith(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const refused = assert.rejects(db.insertInto('items').values({ id: 1, name: 'a' }).execute(), /EIO/);
    await release();
    await refused;
    await assert.rejects(db.insertInto('items').values({ id: 2, name: 'b' }).execute(), /EIO/);
    await db.destroy();
  });
});
