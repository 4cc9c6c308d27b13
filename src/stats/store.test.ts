import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import { HllSketch } from '../shared/hll.js';
import { openDatabase, type Store } from '../storage/database.js';
import { StatsBuffer, type StatsBatch } from './buffer.js';
import { DAY_MS } from '../shared/time.js';
import { oldestKeptDay, oldestKeptHour, STATS_RETENTION_DAYS } from './recorder.js';
import { StatsStore } from './store.js';

const DAY = Date.UTC(2026, 2, 1);

/** One node's flush: `users` active as guests of `client` on DAY, and `created` guests created. */
function batchOf(id: string, client: string, users: string[], created = 0): StatsBatch {
  const buffer = new StatsBuffer();
  for (const user of users) buffer.active(DAY + 3_600_000, client, true, user);
  buffer.count(DAY + 3_600_000, client, 'guests_created', created);
  return buffer.drain(id);
}

const ids = (prefix: string, from: number, count: number) => Array.from({ length: count }, (_, n) => `${prefix}${from + n}`);

describeEachDatabase('stats store', (database) => {
  let handle: Awaited<ReturnType<typeof openTestStore>>;
  let stats: StatsStore;
  const estimate = async (client: string) => {
    const rows = await stats.sketches(DAY, DAY, client, [true]);
    return rows.reduce((union, row) => union.merge(row.sketch), new HllSketch()).estimate();
  };

  before(async () => {
    handle = await openTestStore(database, 'gp_stats');
    stats = new StatsStore(handle.store.db, handle.store.dialect);
  });
  after(() => handle.close());

  it('should merge flushes of several nodes into the union of their users, for the client and for all clients', async () => {
    // Node 1 saw 0…2999 (past the exact range), node 2 saw 2000…3999: 4000 distinct users.
    assert.equal(await stats.apply(batchOf('node-1-a', 'web', ids('u', 0, 3000), 10), DAY), true);
    assert.equal(await stats.apply(batchOf('node-2-a', 'web', ids('u', 2000, 2000), 5), DAY), true);
    const web = await estimate('web');
    assert.ok(Math.abs(web - 4000) <= 80, `4000 users estimated as ${web}`);
    assert.equal(await estimate('*'), web);
    const [day] = await stats.lifecycleDays(DAY, DAY, 'web');
    assert.deepEqual(day, { day: DAY, guests_created: 15, converted: 0, merged: 0, culled: 0, alerts: 0 });
  });

  it('should count a flush retried after its commit once: sketches by their nature, counters by the flush id', async () => {
    const batch = batchOf('retried', 'app', ids('r', 0, 50), 50);
    assert.equal(await stats.apply(batch, DAY), true);
    assert.equal(await stats.apply(batch, DAY), false);
    assert.equal(await estimate('app'), 50);
    const [day] = await stats.lifecycleDays(DAY, DAY, 'app');
    assert.equal(day?.guests_created, 50);
    // Every client together: web's 15 and app's 50.
    const [all] = await stats.lifecycleDays(DAY, DAY, undefined);
    assert.equal(all?.guests_created, 65);
  });

  it('should merge concurrent flushes from two connections without losing either', async () => {
    const second: Store =
      database === 'postgres' ? await openDatabase({ url: process.env['GUESTPASS_TEST_DATABASE_URL']!, schema: handle.store.schema }) : handle.store;
    try {
      const other = new StatsStore(second.db, second.dialect);
      // Each batch touches app, web and '*' rows, in the order apply sorts them.
      const flushes = Array.from({ length: 6 }, (_, n) => {
        const buffer = new StatsBuffer();
        for (const user of ids('c', n * 100, 100)) buffer.active(DAY + 60_000, n % 2 ? 'web' : 'app', true, user);
        for (const user of ids('c', n * 100, 100)) buffer.active(DAY + 60_000, n % 2 ? 'app' : 'web', true, user);
        buffer.count(DAY + 60_000, 'web', 'converted', 1);
        return buffer.drain(`concurrent-${n}`);
      });
      await Promise.all(flushes.map((batch, n) => (n % 2 ? other : stats).apply(batch, DAY)));
      const [web] = await stats.lifecycleDays(DAY, DAY, 'web');
      assert.equal(web?.converted, 6);
      // app held r0…r49 before; now also c0…c599.
      assert.equal(await estimate('app'), 650);
    } finally {
      if (second !== handle.store) await second.close();
    }
  });

  it(`should purge days older than ${STATS_RETENTION_DAYS} days, and flush ids after a day`, async () => {
    const old = DAY - STATS_RETENTION_DAYS * DAY_MS;
    const buffer = new StatsBuffer();
    buffer.active(old, 'web', false, 'gone');
    buffer.count(old, 'web', 'merged', 1);
    await stats.apply(buffer.drain('old-flush'), old);
    assert.equal(oldestKeptDay(DAY + 3_600_000), old + DAY_MS);
    const deleted = await stats.purge(oldestKeptDay(DAY + 3_600_000), DAY - DAY_MS, oldestKeptHour(DAY + 3_600_000));
    // The sketch rows of web and '*', the counter row, the hour's sketch and counter row, and the flush id recorded at `old`.
    assert.equal(deleted, 6);
    assert.deepEqual(await stats.sketches(old, old, 'web', [false]), []);
    assert.deepEqual(await stats.lifecycleDays(old, old, undefined), []);
    assert.equal((await stats.sketches(DAY, DAY, 'web', [true])).length, 1);
    // DAY's hour rows are within two days of DAY + 1 h: kept.
    assert.ok((await stats.hourSketches(DAY, DAY + 3_600_000)).length >= 1);
    assert.ok((await stats.lifecycleHours(DAY, DAY + 3_600_000)).length >= 1);
  });
});
