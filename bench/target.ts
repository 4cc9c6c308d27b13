// The child side of the HTTP benches (bench/harness.ts is the parent side): a target script
// calls serveTarget() with its starters; the one named on its command line starts a server,
// the description of how to load it goes to the parent over the IPC channel, and the server
// stops when that channel closes. Also the servers more than one bench loads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import { startServer, type RunningServer } from '../src/app/server.js';
import { loadConfig } from '../src/app/config.js';

/** One HTTP request, as the parent sends it (over and over, or as the template of a chain). */
export interface TargetRequest {
  url: string;
  method: 'POST' | 'PATCH';
  headers: Record<string, string>;
  body: string;
}

/** A started server: `info` is what the parent needs to load it, and must survive IPC (JSON). */
export interface Running<Info> {
  info: Info;
  close(): Promise<void>;
}

export const JSON_TYPE = 'application/json';

const UNTHROTTLED = '100000000';
/**
 * Every rate limit high enough never to refuse: the limiters still run and cost what they cost,
 * but a 429 would measure the limit, not the endpoint.
 */
export const UNTHROTTLED_LIMITS = {
  GUESTPASS_GUEST_RATE_LIMIT_PER_IP: UNTHROTTLED,
  GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: UNTHROTTLED,
  GUESTPASS_GUEST_RATE_LIMIT_PER_CLIENT: UNTHROTTLED,
  GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: UNTHROTTLED,
  GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: UNTHROTTLED,
  GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION: UNTHROTTLED,
  GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_CLIENT: UNTHROTTLED,
};
export const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * For loads from many public addresses: thousands of sign-ups a second spread evenly over the
 * address space put dozens a minute on an ASN that holds many of the sampled networks, which
 * sign-up flood detection blocks. It observes instead, so its cost is measured and every answer
 * is a creation.
 */
export const OBSERVE_SIGNUP_FLOODS = {
  GUESTPASS_ANOMALY_CONFIG: JSON.stringify({ detectors: { signup_flood: { containment: { action: 'observe' } } } }),
};

/** The machine's HTTP ceiling: Fastify parsing a small JSON body and echoing it back. */
export async function startCeiling(body: string): Promise<Running<TargetRequest>> {
  const app = Fastify({ logger: false });
  app.post('/echo', async (request) => ({ ok: true, echo: request.body }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { info: { url: `${url}/echo`, method: 'POST', headers: { 'content-type': JSON_TYPE }, body }, close: () => app.close() };
}

/**
 * The PostgreSQL server the `-pg` targets run on (BENCH_POSTGRES_URL, e.g.
 * postgres://postgres@127.0.0.1:5432/test); without it, the benches run on SQLite only.
 */
export const BENCH_POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] || undefined;

/** Where a target keeps its data: SQLite in its data directory, or a schema of its own on BENCH_POSTGRES_URL. */
export type BenchDatabase = 'sqlite' | 'postgres';

/**
 * Guestpass as deployed (SQLite in a fresh data directory, every hook, the rate limiters),
 * only quiet and without development clients. `env` adds settings, e.g. limits high enough
 * never to refuse, so that a limiter's cost is measured but not its 429s. On `postgres` it
 * works in a fresh schema of BENCH_POSTGRES_URL, dropped when it closes.
 */
export async function startGuestpass(
  env: Record<string, string>,
  database: BenchDatabase = 'sqlite',
): Promise<{ server: RunningServer; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-bench-'));
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  if (database === 'postgres' && !BENCH_POSTGRES_URL) throw new Error('a PostgreSQL target needs BENCH_POSTGRES_URL');
  const postgres = database === 'postgres' ? { GUESTPASS_DATABASE_URL: BENCH_POSTGRES_URL!, GUESTPASS_DATABASE_SCHEMA: schema } : {};
  const { config } = loadConfig({
    env: { GUESTPASS_DATA_DIR: dataDir, GUESTPASS_DEV_CLIENTS: 'false', GUESTPASS_LOG_LEVEL: 'silent', ...postgres, ...env },
    flags: { port: '0', host: '127.0.0.1' },
  });
  const server = await startServer({ config, logger: false, print: () => {} });
  // The geolocation and ASN data load in the background after start-up (half a million ASN
  // ranges to parse): measured while that runs, an endpoint would be charged for start-up.
  await server.ctx.anomaly.geo.ready();
  const close = async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (database === 'postgres') {
      const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  };
  return { server, close };
}

/** Runs the starter named by the first argument; only bench/harness.ts's startTarget forks us. */
export async function serveTarget(starters: Record<string, () => Promise<Running<unknown>>>): Promise<void> {
  const name = process.argv[2];
  const start = name !== undefined && Object.hasOwn(starters, name) ? starters[name] : undefined;
  if (!start || !process.send) throw new Error(`run by a bench (npm run bench) with one of: ${Object.keys(starters).join(', ')}`);
  const running = await start();
  process.send(running.info);
  // CPU time on request, so the parent can tell a saturated server from a starved one.
  process.on('message', (message) => {
    if (message === 'cpu-usage') process.send?.(process.cpuUsage());
  });
  // The parent closes the channel when done with us (or dies, which closes it too).
  process.once('disconnect', () => {
    running.close().finally(() => process.exit(0));
  });
}
