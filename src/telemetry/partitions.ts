import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { DAY_MS } from '../shared/time.js';

const WEEK_MS = 7 * DAY_MS;
/** Up to this retention partitions are daily; beyond it weekly, so a long retention stays near a hundred partitions or a few hundred at most. */
const DAILY_UP_TO_MS = 180 * DAY_MS;
/** Partitions are made this far ahead, so a week of failed jobs still finds them. */
export const PARTITIONS_AHEAD_MS = 7 * DAY_MS;
/** An event may be this much older than its arrival (telemetry/validate.ts); partitions reach back as far. */
const LATE_EVENTS_MS = 8 * DAY_MS;

/** PostgreSQL's lock_not_available: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

/** One partition of `events`: the event times [from, to) it holds. */
export interface EventPartition {
  name: string;
  from: number;
  to: number;
}

/**
 * The width of a partition for a retention: a day while the retention is at most 180 days
 * (90 by default: about a hundred partitions, and an expired day is dropped whole the day
 * after), a week beyond (3650 days would otherwise be 3650 partitions, each one more table
 * for every query without a time range, such as a person's export or erasure, to open).
 */
export function partitionWidth(retentionMs: number): number {
  return retentionMs <= DAILY_UP_TO_MS ? DAY_MS : WEEK_MS;
}

/** `events_YYYYMMDD`, after the UTC day the partition starts on (as migration 0015 names them). */
export function partitionName(from: number): string {
  return `events_${new Date(from).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * The time partitions of `events` on PostgreSQL (migration 0015): made ahead of the events
 * that need them, and dropped whole once every event they can hold is past the retention.
 * Events whose time has no partition land in `events_default`; the row purge deletes them.
 */
export class EventPartitions {
  constructor(private readonly db: Kysely<Database>) {}

  /** The range partitions, oldest first (the default partition is not among them). */
  async list(): Promise<EventPartition[]> {
    const { rows } = await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
      where p.relname = 'events' and n.nspname = current_schema()`.execute(this.db);
    const partitions: EventPartition[] = [];
    for (const { name, bound } of rows) {
      const range = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(bound);
      if (range) partitions.push({ name, from: Number(range[1]), to: Number(range[2]) });
    }
    return partitions.sort((a, b) => a.from - b.from);
  }

  /**
   * Makes the partitions of `width` for the event times an insert may bring at `now`: from
   * as far back as a late event may be (but not before the retention cutoff) to
   * PARTITIONS_AHEAD_MS ahead. A slot that overlaps an existing partition (one of another
   * width, after the retention changed) is left out: its events go to the default partition.
   * Returns the names made.
   */
  async ensure(now: number, retentionMs: number, width = partitionWidth(retentionMs)): Promise<string[]> {
    const existing = await this.list();
    const first = floorTo(now - Math.min(retentionMs, LATE_EVENTS_MS), width);
    const missing: EventPartition[] = [];
    for (let from = first; from < now + PARTITIONS_AHEAD_MS; from += width) {
      const to = from + width;
      if (!existing.some((partition) => partition.from < to && from < partition.to)) missing.push({ name: partitionName(from), from, to });
    }
    return missing.length === 0 ? [] : this.attach(missing);
  }

  /**
   * Detaches and drops every partition whose events are all older than `cutoff`; returns how
   * many partitions and how many events went with them.
   */
  async dropBefore(cutoff: number): Promise<{ partitions: number; events: number }> {
    let partitions = 0;
    let events = 0;
    for (const partition of await this.list()) {
      if (partition.to > cutoff) break;
      // Counted before: detaching locks `events` until the commit, and counting a day takes a while.
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.id(partition.name)}`.execute(this.db);
      try {
        await this.db.transaction().execute(async (trx) => {
          // Detaching waits for every query on `events` and holds up those after it: behind a
          // long one, give up this time (the rows purge deletes the events meanwhile).
          await sql`set local lock_timeout = '5s'`.execute(trx);
          await sql`alter table events detach partition ${sql.id(partition.name)}`.execute(trx);
          await sql`drop table ${sql.id(partition.name)}`.execute(trx);
        });
      } catch (error) {
        if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) break;
        throw error;
      }
      events += Number(rows[0]?.n ?? 0);
      partitions += 1;
    }
    return { partitions, events };
  }

  /**
   * Creates each partition as a table of its own and attaches it, which locks `events` less
   * than CREATE TABLE … PARTITION OF (inserts go on meanwhile), all in one transaction (a
   * fresh database needs a fortnight of them at start-up). Events of a range that the default
   * partition took while its partition was missing move into it first: attaching refuses a
   * range the default partition still holds rows of. Returns the names made.
   */
  private attach(partitions: EventPartition[]): Promise<string[]> {
    const from = Math.min(...partitions.map((partition) => partition.from));
    const to = Math.max(...partitions.map((partition) => partition.to));
    return this.db.transaction().execute(async (trx) => {
      // One node at a time (per schema): nodes starting together on a fresh database all make
      // the same partitions, and two transactions that both read events_default below and
      // then asked for its exclusive lock deadlocked. The second waits here, then finds them made.
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.events partitions'))`.execute(trx);
      const { rows: waiting } = await sql<{ found: boolean }>`select exists (select 1 from events_default where ts >= ${from} and ts < ${to}) as found`.execute(
        trx,
      );
      // A statement already running on `events` keeps the partitions it started with: one that
      // reads the default partition after the move would miss the moved events. Only when
      // events move does the whole table wait, which happens when partitions were missing.
      if (waiting[0]?.found) await sql`lock table events in access exclusive mode`.execute(trx);
      else await sql`lock table events_default in access exclusive mode`.execute(trx);
      const made: string[] = [];
      for (const { name, from, to } of partitions) {
        // Another node may have made it since the listing; the lock orders the two.
        const { rows } = await sql<{ found: string | null }>`select to_regclass(${name}) as found`.execute(trx);
        if (rows[0]?.found != null) continue;
        await sql`create table ${sql.id(name)} (like events including defaults)`.execute(trx);
        await sql`with moved as (delete from events_default where ts >= ${from} and ts < ${to} returning *) insert into ${sql.id(name)} select * from moved`.execute(
          trx,
        );
        await sql`alter table events attach partition ${sql.id(name)} for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(trx);
        made.push(name);
      }
      return made;
    });
  }
}

function floorTo(time: number, width: number): number {
  return time - (((time % width) + width) % width);
}
