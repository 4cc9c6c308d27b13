/**
 * `npm run bench -- webhooks`: on SQLite (file, WAL, every commit flushed) and PostgreSQL,
 * 1. deliveries per second to a loopback receiver in a process of its own: BENCH_WEBHOOK_EVENTS
 *    (default 5000) events are committed to the outbox of a running server (100 a transaction),
 *    which fans them out and delivers them (GUESTPASS_WEBHOOK_CONCURRENCY, default 16); timed
 *    from the first commit until the receiver has every one. Once with a user per event (no order constraint), once with 10 users (each
 *    user's events one after another, so at most 10 in flight);
 * 2. what the outbox adds to a conversion: the merge transaction of a guest into an account
 *    (accounts/store.ts, as /accounts/login runs it) BENCH_WEBHOOK_MERGES times (default 500)
 *    without an outbox row, with its user.merged row, and with the row while the server delivers
 *    it to 3 endpoints; p50 and p99 of the transaction.
 * PostgreSQL: BENCH_DATABASE_URL, else GUESTPASS_TEST_DATABASE_URL, else the local default; a
 * schema of its own, dropped at the end. BENCH_WEBHOOK_DATABASES=sqlite (or postgres) runs one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/app/config.js';
import type { AppContext } from '../src/app/context.js';
import { startServer } from '../src/app/server.js';
import { newId } from '../src/crypto/ids.js';
import type { OutboundEvent } from '../src/events/outbox.js';

const EVENTS = Number(process.env['BENCH_WEBHOOK_EVENTS'] ?? 5000);
const MERGES = Number(process.env['BENCH_WEBHOOK_MERGES'] ?? 500);
const POSTGRES_URL = process.env['BENCH_DATABASE_URL'] ?? process.env['GUESTPASS_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A receiver that answers 204 and counts, in its own process; GET /count reads the count. */
const RECEIVER = `
const http = require('node:http');
let count = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') { res.end(String(count)); return; }
  req.resume();
  req.on('end', () => { count++; res.statusCode = 204; res.end(); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startReceiver(): Promise<{ url: string; count(): Promise<number>; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  const url = `http://127.0.0.1:${port}`;
  return { url: `${url}/hooks`, count: async () => Number(await (await fetch(`${url}/count`)).text()), stop: () => child.kill() };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function stageEvents(ctx: AppContext, users: number): Promise<void> {
  for (let start = 0; start < EVENTS; start += 100) {
    const events: OutboundEvent[] = [];
    for (let n = start; n < Math.min(EVENTS, start + 100); n++) {
      const user = `user-${n % users}`;
      events.push({ type: 'user.merged', time: Date.now(), subject: user, account_id: user, guest_id: `guest-${n}`, method: 'login' });
    }
    await ctx.store.db.transaction().execute((trx) => ctx.outbox.stage(trx, events));
  }
}

async function deliveries(env: Record<string, string>, users: number, label: string): Promise<void> {
  const receiver = await startReceiver();
  const { config } = loadConfig({ env });
  const server = await startServer({ config, logger: process.env['BENCH_LOG'] ? { level: 'error' } : false, print: () => {} });
  const { ctx } = server;
  try {
    await ctx.store.db.deleteFrom('webhook_endpoints').execute();
    await ctx.webhooks.create({ url: receiver.url });
    // From the first commit: each wakes the worker, which fans out and delivers while the rest are written.
    const started = performance.now();
    await stageEvents(ctx, users);
    while ((await receiver.count()) < EVENTS) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${label.padEnd(38)} ${EVENTS} in ${seconds.toFixed(2)} s: ${Math.round(EVENTS / seconds).toLocaleString('en')} deliveries/s${await failures(ctx)}`,
    );
  } finally {
    await server.close();
    receiver.stop();
  }
}

/** Failed attempts by reason, if any: a healthy loopback receiver should see none. */
async function failures(ctx: AppContext): Promise<string> {
  const rows = await ctx.store.db
    .selectFrom('webhook_attempts')
    .select(['error', 'response_status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('outcome', '=', 'failed')
    .groupBy(['error', 'response_status'])
    .execute();
  return rows.length === 0 ? '' : ` (failed attempts: ${rows.map((row) => `${row.error ?? row.response_status} ×${row.n}`).join(', ')})`;
}

async function merges(ctx: AppContext, withEvent: boolean): Promise<{ p50: number; p99: number }> {
  const clientId = (await ctx.clients.create({ name: 'bench', type: 'public', allowedOrigins: ['http://localhost:3000'] })).client.id;
  const accountId = newId();
  await ctx.userStore.ensureGuest(accountId, clientId, ctx.now());
  await ctx.store.db.updateTable('users').set({ is_anonymous: 0 }).where('id', '=', accountId).execute();
  const times: number[] = [];
  for (let n = 0; n < MERGES; n++) {
    const guestId = newId();
    await ctx.userStore.ensureGuest(guestId, clientId, ctx.now());
    const started = performance.now();
    const outcome = await ctx.accounts.store.merge({
      guest: { userId: guestId, clientId, sessionId: null },
      accountId,
      now: ctx.now(),
      mergeFunction: (account) => account.metadata,
      stage: (trx) =>
        ctx.outbox.stage(
          trx,
          withEvent
            ? [{ type: 'user.merged', time: ctx.now(), client_id: clientId, subject: accountId, guest_id: guestId, account_id: accountId, method: 'login' }]
            : [],
        ),
    });
    times.push(performance.now() - started);
    outcome?.staged.announce();
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function conversion(env: Record<string, string>): Promise<void> {
  const receiver = await startReceiver();
  const { config } = loadConfig({ env });
  const server = await startServer({ config, logger: process.env['BENCH_LOG'] ? { level: 'error' } : false, print: () => {} });
  const { ctx } = server;
  try {
    await ctx.store.db.deleteFrom('webhook_endpoints').execute();
    const row = (label: string, { p50, p99 }: { p50: number; p99: number }) =>
      console.log(`  ${label.padEnd(38)} p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms`);
    await merges(ctx, true); // warm-up, not shown
    row('merge, no outbox row', await merges(ctx, false));
    row('merge + user.merged row, 0 endpoints', await merges(ctx, true));
    // Rows of the rounds before are fanned out first: an endpoint created meanwhile would get them too.
    while ((await ctx.store.db.selectFrom('outbox_events').select('id').where('dispatched_at', 'is', null).limit(1).execute()).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let n = 0; n < 3; n++) await ctx.webhooks.create({ url: receiver.url });
    row('merge + row, 3 endpoints delivering', await merges(ctx, true));
    const deadline = Date.now() + 60_000;
    while ((await receiver.count()) < 3 * MERGES && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    console.log(`  (delivered ${await receiver.count()} of ${3 * MERGES} to the 3 endpoints${await failures(ctx)})`);
  } finally {
    await server.close();
    receiver.stop();
  }
}

async function run(label: string, env: Record<string, string>): Promise<void> {
  console.log(`${label}:`);
  await deliveries(env, EVENTS, 'deliveries, a user per event');
  await deliveries(env, 10, 'deliveries, 10 users (ordered)');
  await conversion(env);
}

export async function main(): Promise<void> {
  const which = process.env['BENCH_WEBHOOK_DATABASES']?.split(',') ?? ['sqlite', 'postgres'];
  const base = {
    GUESTPASS_DEV_CLIENTS: 'false',
    GUESTPASS_GEOIP_DATABASE: 'none',
    GUESTPASS_GEOIP_ASN_DATABASE: 'none',
    GUESTPASS_TELEMETRY_COUNTRY_DB: 'off',
    GUESTPASS_LOG_LEVEL: 'silent',
    GUESTPASS_PORT: '0',
    GUESTPASS_HOST: '127.0.0.1',
    GUESTPASS_CULL_INTERVAL: '0',
    GUESTPASS_MASTER_KEY: randomBytes(32).toString('base64url'),
    GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    GUESTPASS_WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
  };
  if (which.includes('sqlite')) {
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-webhooks-bench-'));
    try {
      await run('SQLite (file, WAL, every commit flushed)', { ...base, GUESTPASS_DATA_DIR: dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (which.includes('postgres')) {
    const schema = `gp_bench_webhooks_${process.pid}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-webhooks-bench-'));
    try {
      await run('PostgreSQL', { ...base, GUESTPASS_DATA_DIR: dataDir, GUESTPASS_DATABASE_URL: POSTGRES_URL, GUESTPASS_DATABASE_SCHEMA: schema });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}
