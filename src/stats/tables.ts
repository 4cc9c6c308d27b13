/** Table types of the stats feature (Kysely); conventions as in storage/schema.ts. */

/**
 * Who was active on a UTC day, as a distinct-count sketch (shared/hll.ts): one row per day,
 * client and kind of user. `client_id` '*' is every client together, so a query over all
 * clients merges one row a day instead of one per client. Kept STATS_RETENTION_DAYS.
 */
export interface ActiveUserSketchesTable {
  /** UTC day start, epoch ms. */
  day: number;
  client_id: string;
  /** 1 for guests, 0 for registered users. */
  is_anonymous: number;
  /** HllSketch.serialize(): exact hashes while small, 16 KiB of registers past 2048 users. */
  sketch: string;
  updated_at: number;
}

/** Guest lifecycle counts per UTC day and client (`client_id` '' when an event named none). Kept STATS_RETENTION_DAYS. */
export interface LifecycleDaysTable {
  day: number;
  client_id: string;
  /** Sessions that started with a fresh guest id (POST /anonymous/token without user_id). */
  guests_created: number;
  /** Guests promoted in place to registered users (`user.converted`). */
  converted: number;
  /** Guests merged into an existing account (`user.merged`). */
  merged: number;
  /** Stale guests deleted by the cull (`user.culled`). */
  culled: number;
  /** Alerts raised by the anomaly feature (`alert.raised`); 0 on days before migration 0017. */
  alerts: number;
  updated_at: number;
}

/**
 * The lifecycle counts and alerts per UTC hour, every client together: the console's last 24
 * hours at an hour's resolution. At most HOUR_RETENTION_HOURS rows, whatever the traffic.
 */
export interface LifecycleHoursTable {
  /** UTC hour start, epoch ms. */
  hour: number;
  guests_created: number;
  converted: number;
  merged: number;
  culled: number;
  alerts: number;
  updated_at: number;
}

/** Who was active in a UTC hour, every client together, one sketch per kind; kept HOUR_RETENTION_HOURS. */
export interface ActiveUserHoursTable {
  hour: number;
  /** 1 for guests, 0 for registered users. */
  is_anonymous: number;
  sketch: string;
  updated_at: number;
}

/**
 * The flushes already applied, so that a flush retried after an error it could not see the
 * end of (a commit whose answer was lost) adds its counts once. Kept one day.
 */
export interface StatsFlushesTable {
  id: string;
  flushed_at: number;
}

export interface StatsTables {
  active_user_sketches: ActiveUserSketchesTable;
  lifecycle_days: LifecycleDaysTable;
  lifecycle_hours: LifecycleHoursTable;
  active_user_hours: ActiveUserHoursTable;
  stats_flushes: StatsFlushesTable;
}
