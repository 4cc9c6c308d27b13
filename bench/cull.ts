/**
 * `npm run bench -- cull`: how fast the cull deletes stale guests, on SQLite and PostgreSQL.
 * Seeds BENCH_CULL_GUESTS (default 1,000,000) guests last seen 60 days ago with metadata, half
 * of them with a revoked but unexpired session row (deleted with the guest), in one statement
 * per table on the database side; then times the real cull as the server runs it (batches of
 * GUESTPASS_CULL_BATCH_SIZE, default 500, each a transaction, 10 ms apart) and prints rows culled
 * per second. PostgreSQL: BENCH_DATABASE_URL, else GUESTPASS_TEST_DATABASE_URL, else the local
 * default; a schema of its own, dropped at the end. BENCH_CULL_DATABASES=sqlite (or postgres)
 * runs one of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/app/config.js';
import { createContext, type AppContext } from '../src/app/context.js';

const GUESTS = Number(process.env['BENCH_CULL_GUESTS'] ?? 1_000_000);
const POSTGRES_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['GUESTPASS_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;

/** `count` integers from 1, as a table `seq(i)`: generate_series on PostgreSQL, a recursive CTE on SQLite. */
function sequence(ctx: AppContext, count: number) {
  return ctx.store.dialect === 'postgres'
    ? sql`select i from generate_series(1, ${count}::int) as seq(i)`
    : sql`with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ${count}) select i from seq`;
}

async function seed(ctx: AppContext, clientId: string, now: number): Promise<void> {
  const seen = sql`cast(${now - 60 * DAY} as bigint)`;
  const expires = sql`cast(${now + 30 * DAY} as bigint)`;
  const started = performance.now();
  await ctx.store.db.transaction().execute(async (trx) => {
    await sql`insert into users (id, is_anonymous, created_by_client, metadata, metadata_version, created_at, updated_at, last_seen_at)
      select 'bench-' || i, 1, ${clientId}, '{"cart":["apple","pear"],"visits":3}', 1, ${seen} - i, ${seen} - i, ${seen} - i
      from (${sequence(ctx, GUESTS)}) as s`.execute(trx);
    // Half the guests logged out: a revoked session row that outlives the guest's activity.
    await sql`insert into sessions (id, user_id, client_id, generation, created_at, expires_at, revoked_at, revoked_reason)
      select 'bench-session-' || i, 'bench-' || i, ${clientId}, 1, ${seen} - i, ${expires}, ${seen}, 'logout'
      from (${sequence(ctx, GUESTS)}) as s where i % 2 = 0`.execute(trx);
  });
  if (ctx.store.dialect === 'postgres') await sql`analyze users, sessions`.execute(ctx.store.db);
  console.log(
    `  seeded ${GUESTS.toLocaleString('en')} stale guests and ${(GUESTS / 2).toLocaleString('en')} session rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

async function bench(label: string, env: Record<string, string>, cleanup: () => Promise<void>): Promise<void> {
  console.log(`${label}:`);
  const { config } = loadConfig({ env: { GUESTPASS_DEV_CLIENTS: 'false', GUESTPASS_GEOIP_DATABASE: 'none', GUESTPASS_GEOIP_ASN_DATABASE: 'none', ...env } });
  const ctx = await createContext({ config });
  try {
    const { client } = await ctx.clients.create({ name: 'bench', type: 'public', allowedOrigins: ['http://localhost:3000'] });
    await seed(ctx, client.id, ctx.now());
    let started = performance.now();
    const dry = await ctx.guestCull.run({ dryRun: true });
    console.log(
      `  dry run: ${dry.users.toLocaleString('en')} guests, ${dry.sessions.toLocaleString('en')} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    started = performance.now();
    const report = await ctx.guestCull.run();
    const seconds = (performance.now() - started) / 1000;
    if (report.users !== GUESTS) throw new Error(`culled ${report.users} guests, expected ${GUESTS}`);
    console.log(
      `  real run: ${report.users.toLocaleString('en')} guests and ${report.sessions.toLocaleString('en')} sessions in ${seconds.toFixed(1)} s: ` +
        `${Math.round(report.users / seconds).toLocaleString('en')} guests/s (${Math.round((report.users + report.sessions) / seconds).toLocaleString('en')} rows/s)`,
    );
  } finally {
    await ctx.close();
    await cleanup();
  }
}

export async function main(): Promise<void> {
  const which = process.env['BENCH_CULL_DATABASES']?.split(',') ?? ['sqlite', 'postgres'];
  const batch = process.env['GUESTPASS_CULL_BATCH_SIZE'] ?? '500';
  if (which.includes('sqlite')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-cull-bench-'));
    await bench('SQLite (file, WAL, every commit flushed)', { GUESTPASS_DATA_DIR: dataDir, GUESTPASS_CULL_BATCH_SIZE: batch }, async () =>
      rmSync(dataDir, { recursive: true, force: true }),
    );
  }
  if (which.includes('postgres')) {
    const schema = `gp_bench_cull_${process.pid}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-cull-bench-'));
    await bench(
      'PostgreSQL',
      { GUESTPASS_DATA_DIR: dataDir, GUESTPASS_DATABASE_URL: POSTGRES_URL, GUESTPASS_DATABASE_SCHEMA: schema, GUESTPASS_CULL_BATCH_SIZE: batch },
      async () => {
        rmSync(dataDir, { recursive: true, force: true });
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      },
    );
  }
}
