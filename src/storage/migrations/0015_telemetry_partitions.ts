import { PostgresAdapter, sql, type Kysely } from 'kysely';

const DAY_MS = 86_400_000;

/** The columns of `events`, as 0004 made them, in the order rows are copied. */
const COLUMNS = sql.raw(
  'client_id, event_id, name, ts, received_at, user_id, session_id, is_anonymous, app_version, deployment, platform, locale, origin, country, props, metrics, error_type, error_message, redactions, quarantined',
);

const COLUMN_DEFINITIONS = sql.raw(`
  client_id varchar(64) not null,
  event_id varchar(36) not null,
  name varchar(64) not null,
  ts bigint not null,
  received_at bigint not null,
  user_id varchar(128) not null,
  session_id varchar(64),
  is_anonymous integer not null,
  app_version varchar(64) not null,
  deployment varchar(64) not null,
  platform varchar(64) not null,
  locale varchar(35) not null,
  origin varchar(253) not null,
  country varchar(2) not null,
  props text not null,
  metrics text not null,
  error_type varchar(128),
  error_message text,
  redactions integer not null,
  quarantined integer not null default 0`);

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * PostgreSQL only: `events` becomes a table range-partitioned by event time (`ts`), so the
 * retention purge drops a whole expired partition instead of deleting its rows one by one
 * (telemetry/partitions.ts). The rows already stored move into daily partitions (the width
 * the default retention gets; the server adds partitions of its own width later), and a
 * DEFAULT partition takes any event whose day has no partition yet, so an insert never fails
 * for want of one. A partitioned table's primary key must hold the partition key, so the
 * idempotency key becomes (client_id, event_id, ts): a resent event carries its time.
 * SQLite keeps the plain table: it has no partitions, and its purge is cheap enough.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  // Index and constraint names are per schema: the old table's give theirs up first.
  await sql`alter table events rename to events_unpartitioned`.execute(db);
  await sql`alter table events_unpartitioned rename constraint events_pk to events_unpartitioned_pk`.execute(db);
  await sql`alter index events_ts rename to events_unpartitioned_ts`.execute(db);
  await sql`alter index events_user_ts rename to events_unpartitioned_user_ts`.execute(db);
  await sql`create table events (${COLUMN_DEFINITIONS}, constraint events_pk primary key (client_id, event_id, ts)) partition by range (ts)`.execute(db);
  await sql`create index events_ts on events (ts)`.execute(db);
  await sql`create index events_user_ts on events (user_id, ts)`.execute(db);
  await sql`create table events_default partition of events default`.execute(db);
  const { rows } = await sql<{ day: number | string }>`select distinct ts - ts % ${DAY_MS} as day from events_unpartitioned`.execute(db);
  for (const { day } of rows) {
    const from = Number(day);
    await sql`create table ${sql.id(partitionName(from))} partition of events for values from (${sql.lit(from)}) to (${sql.lit(from + DAY_MS)})`.execute(db);
  }
  await sql`insert into events (${COLUMNS}) select ${COLUMNS} from events_unpartitioned`.execute(db);
  await sql`drop table events_unpartitioned`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`create table events_plain (${COLUMN_DEFINITIONS}, constraint events_plain_pk primary key (client_id, event_id))`.execute(db);
  // Two rows that differ only by ts cannot both stay under the narrower key: the first is kept.
  await sql`insert into events_plain (${COLUMNS}) select ${COLUMNS} from events on conflict (client_id, event_id) do nothing`.execute(db);
  await sql`drop table events`.execute(db);
  await sql`alter table events_plain rename to events`.execute(db);
  await sql`alter table events rename constraint events_plain_pk to events_pk`.execute(db);
  await sql`create index events_ts on events (ts)`.execute(db);
  await sql`create index events_user_ts on events (user_id, ts)`.execute(db);
}

/** `events_YYYYMMDD` of the partition starting at `from` (UTC), as telemetry/partitions.ts names them. */
function partitionName(from: number): string {
  return `events_${new Date(from).toISOString().slice(0, 10).replaceAll('-', '')}`;
}
