import { sql, type Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import { keyString, rollupKeyOf, RollupState, type RollupKey } from './rollup.js';
import { MINUTE_MS } from '../shared/time.js';
import type { TelemetryStore } from './store.js';

const ID_CHUNK = 500;

export interface ErasureResult {
  deletedEvents: number;
  rebuiltRollups: number;
}

/**
 * Erases every event of `userIds` (a person and its merged guests; GDPR Art. 17) with their
 * user days, and rebuilds each rollup row those events counted in from the events that
 * remain, in the same transaction: a distinct-count sketch cannot subtract, so the affected
 * minutes are recomputed rather than adjusted, and no dashboard counts an erased event after
 * the commit.
 */
export async function eraseEvents(store: TelemetryStore, userIds: string[], now: number): Promise<ErasureResult> {
  return store.db.transaction().execute(async (trx) => {
    // PostgreSQL: hold off rollup appends and compaction until this commits, so a rebuilt row
    // and an appended one never both count an event (another node's commit included). A commit
    // already under way appends after us and counts only its own events; SQLite runs one
    // writer at a time anyway. Erasure is rare; ingestion waits for it, at most a moment.
    if (store.dialect === 'postgres') await sql`lock table event_rollups in share row exclusive mode`.execute(trx);
    const affected = new Map<string, RollupKey>();
    let deletedEvents = 0;
    for (let start = 0; start < userIds.length; start += ID_CHUNK) {
      const ids = userIds.slice(start, start + ID_CHUNK);
      const rows = await trx
        .selectFrom('events')
        .select(['ts', 'client_id', 'name', 'app_version', 'deployment', 'origin', 'is_anonymous', 'country'])
        .where('user_id', 'in', ids)
        .execute();
      for (const row of rows) {
        const key = rollupKeyOf({ ...row, user_id: '', session_id: null, has_error: false, metrics: {} });
        affected.set(keyString(key), key);
      }
      const deleted = await trx.deleteFrom('events').where('user_id', 'in', ids).executeTakeFirst();
      deletedEvents += Number(deleted.numDeletedRows);
      await trx.deleteFrom('event_user_days').where('user_id', 'in', ids).execute();
    }
    const keys = [...affected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
    for (const key of keys) await rebuildRollup(store, trx, key, now);
    return { deletedEvents, rebuiltRollups: keys.length };
  });
}

/** Recomputes one rollup key from the raw events of its minute: its rows become one, or none. */
async function rebuildRollup(store: TelemetryStore, trx: Transaction<Database>, key: RollupKey, now: number): Promise<void> {
  const rows = await store.rollupRows(trx, key);
  const { bucket, ...dimensions } = key;
  const remaining = await trx
    .selectFrom('events')
    .select(['user_id', 'session_id', 'error_type', 'metrics', 'ts'])
    .where('ts', '>=', bucket)
    .where('ts', '<', bucket + MINUTE_MS)
    .where((eb) => eb.and({ ...dimensions }))
    .execute();
  const state = new RollupState();
  for (const row of remaining) {
    state.add({
      ...dimensions,
      ts: row.ts,
      user_id: row.user_id,
      session_id: row.session_id,
      has_error: row.error_type !== null,
      metrics: JSON.parse(row.metrics) as Record<string, number>,
    });
  }
  await store.replaceRollup(
    trx,
    key,
    rows.map(({ id }) => id),
    state,
    now,
  );
}
