import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase, describeOnDatabase, postgresUrl } from '../../test/helpers/databases.js';
import { dropSchema, openTestStore, uniqueSchema } from '../../test/helpers/store.js';
import { EventBus } from '../events/bus.js';
import { Metrics } from '../shared/metrics.js';
import { openDatabase, type Store } from '../storage/database.js';
import { migrateTo } from '../storage/migrate.js';
import { EventPartitions, PARTITIONS_AHEAD_MS, partitionName, partitionWidth } from './partitions.js';
import { DAY_MS } from '../shared/time.js';
import { TelemetryService } from './service.js';
import { TelemetryStore, type EventRow } from './store.js';

const NOW = Date.UTC(2026, 0, 20, 12, 0, 0);
const WEEK_MS = 7 * DAY_MS;

function row(ts: number, overrides: Partial<EventRow> = {}): EventRow {
  return {
    client_id: 'client-a',
    event_id: randomUUID(),
    name: 'page.view',
    ts,
    received_at: ts,
    user_id: 'user-1',
    session_id: 'session-1',
    is_anonymous: 1,
    app_version: '1.0.0',
    deployment: 'prod',
    platform: '',
    locale: '',
    origin: 'shop.example',
    country: 'GB',
    props: '{}',
    metrics: '{}',
    error_type: null,
    error_message: null,
    redactions: 0,
    quarantined: 0,
    ...overrides,
  };
}

/** Which table of `events` holds each event id (PostgreSQL: the partition). */
async function placeOf(store: Store): Promise<Map<string, string>> {
  const { rows } = await sql<{ event_id: string; place: string }>`select event_id, tableoid::regclass::text as place from events`.execute(store.db);
  return new Map(rows.map((stored) => [stored.event_id, stored.place.replace(/^.*\./, '')]));
}

function serviceFor(store: Store, retentionDays: number): TelemetryService {
  return new TelemetryService({
    store,
    config: {
      telemetryEventsPerMinutePerSession: 0,
      telemetryEventsPerMinutePerClient: 0,
      telemetryRetention: retentionDays * 86_400,
      telemetryCommitInterval: 0.004,
      telemetryCompactInterval: 0,
      telemetryCountryDb: 'off',
    },
    metrics: new Metrics({ defaultMetrics: false }),
    events: new EventBus(),
    now: () => NOW,
  });
}

describeEachDatabase('telemetry events table: migration 0015 and retention', (database) => {
  it('should keep every event stored before migration 0015, and a resent one still a duplicate', async () => {
    const schema = uniqueSchema('gp_evmig');
    const store = await openDatabase(database === 'postgres' ? { url: postgresUrl()!, schema } : { url: 'sqlite::memory:' });
    try {
      await migrateTo(store, '0014_audit_log');
      const seeded = [NOW - 2 * DAY_MS, NOW - DAY_MS, NOW].flatMap((day) => [
        row(day),
        row(day + 1000),
        row(day + 2000, { user_id: 'user-2', session_id: null }),
      ]);
      await store.db.insertInto('events').values(seeded).execute();
      assert.deepEqual(await migrateTo(store, '0015_telemetry_partitions'), ['0015_telemetry_partitions']);

      const stored = await store.db.selectFrom('events').selectAll().orderBy('event_id').execute();
      assert.deepEqual(
        stored,
        [...seeded].sort((a, b) => (a.event_id < b.event_id ? -1 : 1)),
      );
      const telemetry = new TelemetryStore(store.db, store.dialect);
      assert.equal((await telemetry.insertEvents(store.db, seeded)).size, 0, 'every resent event is a duplicate');
      if (database === 'postgres') {
        const { rows } = await sql<{ kind: string }>`select relkind as kind from pg_class where oid = 'events'::regclass`.execute(store.db);
        assert.equal(rows[0]?.kind, 'p', 'events is partitioned');
        const places = await placeOf(store);
        for (const event of seeded) assert.equal(places.get(event.event_id), partitionName(event.ts - (event.ts % DAY_MS)));
      } else {
        const { rows } = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name like 'events%'`.execute(store.db);
        assert.equal(Number(rows[0]?.n), 1, 'SQLite keeps the one plain table');
      }
    } finally {
      await store.close();
      if (database === 'postgres') await dropSchema(schema);
    }
  });

  it('should drop the partitions past the retention whole, count their events, and delete the rest of the expired ones by row', async () => {
    const { store, close } = await openTestStore(database, 'gp_evret');
    const service = serviceFor(store, 10);
    try {
      const cutoff = NOW - 10 * DAY_MS;
      // Partitions from a fortnight back, as a server running for a while has them.
      if (database === 'postgres') await new EventPartitions(store.db).ensure(NOW - 6 * DAY_MS, 10 * DAY_MS);
      const wholeDayGone = [1, 2, 3, 4].map((i) => row(NOW - 12 * DAY_MS + i));
      const partlyGone = [1, 2, 3].map((i) => row(cutoff - 3_600_000 + i));
      const kept = [row(cutoff + 3_600_000), row(cutoff + 3_600_001), ...[1, 2, 3, 4, 5].map((i) => row(NOW - 3_600_000 + i))];
      const telemetry = new TelemetryStore(store.db, store.dialect);
      assert.equal((await telemetry.insertEvents(store.db, [...wholeDayGone, ...partlyGone, ...kept])).size, 14);

      assert.equal(await service.purgeExpired(), wholeDayGone.length + partlyGone.length);

      const left = await store.db.selectFrom('events').select('event_id').orderBy('event_id').execute();
      assert.deepEqual(
        left.map(({ event_id }) => event_id),
        kept.map(({ event_id }) => event_id).sort(),
      );
      if (database === 'postgres') {
        const partitions = await new EventPartitions(store.db).list();
        assert.ok(
          partitions.every((partition) => partition.to > cutoff),
          'no partition wholly past the retention is left',
        );
        assert.equal(partitions[0]?.name, partitionName(cutoff - (cutoff % DAY_MS)), 'the partly expired partition stays');
        assert.ok(partitions.at(-1)!.to >= NOW + PARTITIONS_AHEAD_MS, 'the purge made the partitions ahead');
        assert.equal(await service.purgeExpired(), 0, 'nothing more to drop or delete');
      }
    } finally {
      await service.close();
      await close();
    }
  });
});

describeOnDatabase('postgres', 'telemetry event partitions', () => {
  let store: Store;
  let close: () => Promise<void>;
  let partitions: EventPartitions;
  before(async () => {
    ({ store, close } = await openTestStore('postgres', 'gp_evpart'));
    partitions = new EventPartitions(store.db);
  });
  after(() => close());

  it('should make daily partitions from the oldest time a late event may have to a week ahead, once', async () => {
    const made = await partitions.ensure(NOW, 90 * DAY_MS);
    const listed = await partitions.list();
    assert.deepEqual(
      listed.map(({ name }) => name),
      made,
    );
    assert.ok(listed[0]!.from <= NOW - 8 * DAY_MS && listed.at(-1)!.to >= NOW + PARTITIONS_AHEAD_MS, 'they cover late events and a week ahead');
    for (const [index, partition] of listed.entries()) {
      assert.equal(partition.to - partition.from, DAY_MS);
      if (index > 0) assert.equal(partition.from, listed[index - 1]!.to, 'no gap between them');
    }
    assert.deepEqual(await partitions.ensure(NOW, 90 * DAY_MS), [], 'a second run finds them all made');
  });

  it('should make weekly partitions for a long retention, beside the daily ones already there', async () => {
    assert.equal(partitionWidth(180 * DAY_MS), DAY_MS);
    assert.equal(partitionWidth(365 * DAY_MS), WEEK_MS);
    await partitions.ensure(NOW, 90 * DAY_MS);
    const made = await partitions.ensure(NOW + 21 * DAY_MS, 365 * DAY_MS);
    assert.ok(made.length > 0);
    const listed = await partitions.list();
    for (const partition of listed.filter(({ name }) => made.includes(name))) assert.equal(partition.to - partition.from, WEEK_MS);
    for (let index = 1; index < listed.length; index++) assert.ok(listed[index]!.from >= listed[index - 1]!.to, 'no two partitions overlap');
  });

  it('should move the events the default partition took into the partition made for their time', async () => {
    const telemetry = new TelemetryStore(store.db, store.dialect);
    const early = [row(NOW + 60 * DAY_MS), row(NOW + 60 * DAY_MS + 1)];
    await telemetry.insertEvents(store.db, early);
    let places = await placeOf(store);
    for (const event of early) assert.equal(places.get(event.event_id), 'events_default');

    await partitions.ensure(NOW + 55 * DAY_MS, 90 * DAY_MS);
    places = await placeOf(store);
    const day = NOW + 60 * DAY_MS - ((NOW + 60 * DAY_MS) % DAY_MS);
    for (const event of early) assert.equal(places.get(event.event_id), partitionName(day));
    assert.equal((await telemetry.insertEvents(store.db, early)).size, 0, 'still duplicates where they are now');
  });

  it('should make the partitions once when several nodes start on the database at the same moment', async () => {
    // Three nodes of a fresh deployment (compose.yaml) all make the same partitions at start-up;
    // each transaction read the default partition before locking it, and two such upgrades
    // deadlocked. Events waiting in the default partition take the path that locks `events`.
    const later = NOW + 200 * DAY_MS;
    await new TelemetryStore(store.db, store.dialect).insertEvents(store.db, [row(later), row(later + DAY_MS)]);
    const others = await Promise.all([1, 2].map(() => openDatabase({ url: postgresUrl()!, schema: store.schema })));
    try {
      for (let round = 0; round < 3; round++) {
        const at = later + round * 30 * DAY_MS;
        const made = await Promise.all([store, ...others].map((node) => new EventPartitions(node.db).ensure(at, 90 * DAY_MS)));
        const all = made.flat();
        assert.ok(all.length > 0, 'partitions were missing');
        assert.equal(new Set(all).size, all.length, 'each partition made by one node alone');
      }
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });
});
