// One process of `npm run bench -- cluster`, run as a child process by bench/cluster.ts (see
// bench/target.ts): a Guestpass node on PostgreSQL and Redis, the test suite's load-balancing
// proxy, or the machine's HTTP ceiling. What each needs comes from the parent in the
// BENCH_CLUSTER environment variable (JSON). Only `import type` this module from elsewhere:
// importing it starts a server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startProxy } from '../test/helpers/proxy.js';
import { serveTarget, startCeiling, startGuestpass, type Running, type TargetRequest } from './target.js';

/** What the parent sends a child, in BENCH_CLUSTER. */
export interface ClusterSetting {
  /** Node: its GUESTPASS_* settings (database, schema, Redis, master key, limits). */
  env?: Record<string, string>;
  /** Node: create the bench's client (the first node, which also migrates the schema). */
  createClient?: boolean;
  /** Proxy: the nodes' URLs. */
  targets?: string[];
}

export interface ClusterTarget {
  url: string;
  /** First node only: a public client allowed from ORIGIN whose guests hold telemetry:write. */
  clientId?: string;
  /** Node only: GET answers the SQL statements and transactions this process sent so far. */
  countersUrl?: string;
  /** Ceiling only: its echo request. */
  echo?: TargetRequest;
}

export interface QueryCounts {
  statements: number;
  transactions: number;
  /** Commands this process sent Redis (a script is one; Redis's own count includes what it calls). */
  redisCommands: number;
}

export const ORIGIN = 'http://bench.localhost';

const setting = JSON.parse(process.env['BENCH_CLUSTER'] ?? '{}') as ClusterSetting;

/**
 * Counts what this process sends PostgreSQL and Redis: every query of the pool goes through
 * pg.Client#query (Kysely's PostgresDialect included), every Redis command through
 * Redis#sendCommand. Patched here, in the bench's process
 * only, because PostgreSQL's own statement counter (pg_stat_statements) is not loaded on the
 * machine and would count other processes' statements too.
 */
function countQueries(): QueryCounts {
  const counts: QueryCounts = { statements: 0, transactions: 0, redisCommands: 0 };
  const send = Redis.prototype.sendCommand as (...args: unknown[]) => unknown;
  Redis.prototype.sendCommand = function (this: Redis, ...args: unknown[]) {
    counts.redisCommands += 1;
    return send.apply(this, args);
  } as typeof Redis.prototype.sendCommand;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
    if (/^\s*commit\b/i.test(text)) counts.transactions += 1;
    else if (!/^\s*(begin|rollback)\b/i.test(text)) counts.statements += 1;
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  return counts;
}

async function node(): Promise<Running<ClusterTarget>> {
  const counts = countQueries();
  const { server, close } = await startGuestpass(setting.env ?? {});
  const counters = createServer((_, response) => response.end(JSON.stringify(counts)));
  await new Promise<void>((resolve) => counters.listen(0, '127.0.0.1', resolve));
  const info: ClusterTarget = { url: server.url, countersUrl: `http://127.0.0.1:${(counters.address() as AddressInfo).port}` };
  if (setting.createClient) {
    const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public', allowedOrigins: [ORIGIN], guest: { scopes: ['telemetry:write'] } });
    info.clientId = client.id;
  }
  return {
    info,
    close: async () => {
      counters.close();
      await close();
    },
  };
}

async function proxy(): Promise<Running<ClusterTarget>> {
  const running = await startProxy();
  running.setTargets(setting.targets ?? []);
  return { info: { url: running.url }, close: () => running.close() };
}

async function ceiling(): Promise<Running<ClusterTarget>> {
  const { info, close } = await startCeiling('{"client_id":"cl_0123456789abcdef0123"}');
  return { info: { url: new URL(info.url).origin, echo: info }, close };
}

const starters = { node, proxy, ceiling } satisfies Record<string, () => Promise<Running<ClusterTarget>>>;
export type ClusterProcess = keyof typeof starters;

await serveTarget(starters);
