// The raw better-sqlite3 insert rate of the rows POST /v1/events stores: the same table
// (migrated by Guestpass itself, with its primary key and indexes), the same durability (WAL,
// every commit on disk: synchronous=FULL here), one prepared statement, no HTTP, no validation, no rollups. This is the
// embedded store's physical limit that `npm run bench -- ingest` compares the endpoint with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../src/storage/database.js';
import { migrateToLatest } from '../src/storage/migrate.js';
import { benchEvent } from './ingest-events.js';

export interface RawRate {
  rowsPerTransaction: number;
  rowsPerSecond: number;
}

const COLUMNS = [
  'client_id',
  'event_id',
  'name',
  'ts',
  'received_at',
  'user_id',
  'session_id',
  'is_anonymous',
  'app_version',
  'deployment',
  'platform',
  'locale',
  'origin',
  'country',
  'props',
  'metrics',
  'error_type',
  'error_message',
  'redactions',
];

/** Inserts rows for `seconds`, `rowsPerTransaction` per commit, and returns the rate. */
export async function rawInsertRate(rowsPerTransaction: number, seconds: number): Promise<RawRate> {
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-raw-'));
  const file = join(dir, 'raw.db');
  const store = await openDatabase({ url: `sqlite:${file}` });
  await migrateToLatest(store);
  await store.close();
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(`insert into events (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`);
  const now = Date.now();
  let sequence = 0;
  const row = () => {
    const event = benchEvent(sequence, 7, now);
    sequence += 1;
    return [
      'client-bench',
      event.id,
      event.name,
      event.ts,
      now,
      `user-${sequence % 50}`,
      `session-${sequence % 50}`,
      1,
      event.context.app_version,
      event.context.deployment,
      event.context.platform,
      event.context.locale,
      'bench.localhost',
      '',
      JSON.stringify(event.props),
      JSON.stringify(event.metrics),
      null,
      null,
      0,
    ];
  };
  const batch = db.transaction((rows: unknown[][]) => {
    for (const values of rows) insert.run(values);
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) batch(Array.from({ length: rowsPerTransaction }, row));
  const elapsed = (performance.now() - started) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { rowsPerTransaction, rowsPerSecond: sequence / elapsed };
}
