// `npm run bench -- cluster`: one node against three, on PostgreSQL and Redis, on this machine.
// Each Guestpass node is a child process (bench/cluster-target.ts) on one PostgreSQL schema and
// one Redis of the bench's own (a redis-server it starts, so that Redis's command counts and CPU
// are this bench's alone). autocannon loads, from this process:
//   ceiling            a bare Fastify JSON echo, directly and through the proxy: the machine's
//                      HTTP stack, and what the proxy's hop costs on its own
//   1 node direct      autocannon straight at one node
//   3 nodes via proxy  the test suite's round-robin proxy (test/helpers/proxy.ts) in front of three
// on four paths: guest creation (POST /anonymous/token), refresh (POST /oauth/token, rotating, as
// in the anonymous bench), token check (GET /anonymous/session with a guest's access token:
// signature, denylist and session checked) and telemetry ingest (POST /v1/events, 50 events a
// batch). For sizing, each run also reports what one request costs the shared stores: SQL
// statements and transactions (counted in the nodes), PostgreSQL backend CPU (the nodes' own
// connections, from /proc), Redis commands (INFO commandstats) and Redis CPU.
// PostgreSQL: BENCH_POSTGRES_URL (or BENCH_DATABASE_URL), else GUESTPASS_TEST_DATABASE_URL, else the local default; a
// schema of its own per configuration, dropped at the end. Settings as for every HTTP bench:
// see bench/harness.ts (BENCH_TARGETS names paths here: create, refresh, check, ingest).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startOwnRedis } from '../test/helpers/redis.js';
import type { ClusterProcess, ClusterSetting, ClusterTarget, QueryCounts } from './cluster-target.js';
import {
  CONNECTIONS,
  DURATION,
  checkFailures,
  measure,
  printPreamble,
  printTable,
  rate,
  selectTargets,
  startTarget,
  type Load,
  type Measured,
  type Target,
} from './harness.js';
import { benchEvent } from './ingest-events.js';
import { UNTHROTTLED_LIMITS } from './target.js';

const TARGET_SCRIPT = fileURLToPath(new URL('./cluster-target.ts', import.meta.url));
const POSTGRES_URL =
  process.env['BENCH_POSTGRES_URL'] ??
  process.env['BENCH_DATABASE_URL'] ??
  process.env['GUESTPASS_TEST_DATABASE_URL'] ??
  'postgres://postgres@127.0.0.1:5432/test';
const ORIGIN = 'http://bench.localhost';
const BATCH = 50;
/** As in the anonymous bench: enough sessions per connection that none reaches the refresh-storm floor. */
const SESSIONS_PER_CONNECTION = 100;

type Path = 'create' | 'refresh' | 'check' | 'ingest';
const PATHS = selectTargets<{ name: Path; label: string }>([
  { name: 'create', label: 'guest creation' },
  { name: 'refresh', label: 'refresh (rotating)' },
  { name: 'check', label: 'token check' },
  { name: 'ingest', label: `telemetry ingest (${BATCH} a batch)` },
]);
const NODE_COUNTS = [1, 3] as const;

/** What the shared stores did, read before and after a measured run. */
interface Snapshot {
  queries: QueryCounts;
  /** CPU of the nodes' PostgreSQL backends, in seconds. */
  postgresCpu: number;
  redisCommands: number;
  redisCpu: number;
  proxyCpu: number;
}

interface Costs {
  statements: number;
  transactions: number;
  postgresCpuMs: number;
  /** Sent by the nodes: a script counts once. */
  redisSent: number;
  /** Executed by Redis: a script's own calls count too. */
  redisCommands: number;
  redisCpuUs: number;
  proxyCpu: number;
}

const CLOCK_TICKS = 100;

/** user + system CPU seconds of a process, from /proc (PostgreSQL runs on this machine). */
function processCpu(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** A group of processes measured as one server: the nodes' CPU is summed; the proxy's is kept apart. */
function group(nodes: Target<ClusterTarget>[], proxy: Target<ClusterTarget> | undefined, redis: Redis, postgres: pg.Client, application: string) {
  const snapshots: Snapshot[] = [];
  const backendCpu = new Map<number, number>();
  const snapshot = async (): Promise<Snapshot> => {
    const queries = { statements: 0, transactions: 0, redisCommands: 0 };
    for (const node of nodes) {
      const counts = (await (await fetch(node.info.countersUrl!)).json()) as QueryCounts;
      queries.statements += counts.statements;
      queries.transactions += counts.transactions;
      queries.redisCommands += counts.redisCommands;
    }
    const backends = await postgres.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [application]);
    for (const { pid } of backends.rows) backendCpu.set(pid, processCpu(pid));
    const stats = await redis.info('commandstats');
    const redisCommands = [...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
      .filter(([, name]) => name !== 'info')
      .reduce((sum, [, , calls]) => sum + Number(calls), 0);
    const cpu = await redis.info('cpu');
    const redisCpu = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]) + Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]);
    const postgresCpu = [...backendCpu.values()].reduce((sum, seconds) => sum + seconds, 0);
    return { queries, postgresCpu, redisCommands, redisCpu, proxyCpu: proxy ? (await proxy.cpuTime()) / 1e6 : 0 };
  };
  const target: Target<ClusterTarget> = {
    info: proxy ? proxy.info : nodes[0]!.info,
    // measure() asks for the CPU time right before and right after the measured run: the
    // stores' counters are read at the same moments.
    async cpuTime() {
      snapshots.push(await snapshot());
      let total = 0;
      for (const node of nodes) total += await node.cpuTime();
      return total;
    },
    stop: async () => {
      await proxy?.stop();
      for (const node of nodes) await node.stop();
    },
  };
  const costs = (result: Measured): Costs => {
    const [before, after] = snapshots.splice(0, 2) as [Snapshot, Snapshot];
    const requests = result.requests.total;
    const duration = DURATION;
    return {
      statements: (after.queries.statements - before.queries.statements) / requests,
      transactions: (after.queries.transactions - before.queries.transactions) / requests,
      postgresCpuMs: ((after.postgresCpu - before.postgresCpu) * 1000) / requests,
      redisSent: (after.queries.redisCommands - before.queries.redisCommands) / requests,
      redisCommands: (after.redisCommands - before.redisCommands) / requests,
      redisCpuUs: ((after.redisCpu - before.redisCpu) * 1e6) / requests,
      proxyCpu: (after.proxyCpu - before.proxyCpu) / duration,
    };
  };
  return { target, costs };
}

function startProcess(kind: ClusterProcess, setting: ClusterSetting): Promise<Target<ClusterTarget>> {
  // The child reads it from the environment it inherits when forked.
  process.env['BENCH_CLUSTER'] = JSON.stringify(setting);
  return startTarget<ClusterTarget>(TARGET_SCRIPT, kind);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** `count` new guests, a connection's worth at a time. */
async function guests(base: string, clientId: string, count: number): Promise<{ access_token: string; session_token: string }[]> {
  const made: { access_token: string; session_token: string }[] = [];
  while (made.length < count)
    made.push(
      ...((await Promise.all(
        Array.from({ length: Math.min(CONNECTIONS, count - made.length) }, () => post(`${base}/anonymous/token`, { client_id: clientId })),
      )) as unknown as { access_token: string; session_token: string }[]),
    );
  return made;
}

let nextStream = 1;

async function load(path: Path, base: string, clientId: string): Promise<Load> {
  switch (path) {
    case 'create':
      return {
        url: `${base}/anonymous/token`,
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify({ client_id: clientId }),
      };
    case 'refresh': {
      const tokens = (await guests(base, clientId, CONNECTIONS * SESSIONS_PER_CONNECTION)).map((guest) => guest.session_token);
      const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId }).toString();
      return {
        url: `${base}/oauth/token`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupClient(client) {
          const pool = tokens.splice(0, SESSIONS_PER_CONNECTION);
          let next = 0;
          let current = 0;
          client.setRequests([
            {
              setupRequest: (request) => {
                current = next;
                next = (next + 1) % pool.length;
                return { ...request, body: `${form}&refresh_token=${encodeURIComponent(pool[current]!)}` };
              },
              onResponse: (status, body) => {
                if (status === 200) pool[current] = (JSON.parse(body) as { refresh_token: string }).refresh_token;
              },
            },
          ]);
        },
      };
    }
    case 'check':
    case 'ingest': {
      const tokens = (await guests(base, clientId, CONNECTIONS)).map((guest) => guest.access_token);
      return {
        url: `${base}${path === 'check' ? '/anonymous/session' : '/v1/events'}`,
        method: path === 'check' ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        setupClient(client) {
          const authorization = `Bearer ${tokens.pop()}`;
          const stream = nextStream++;
          let sequence = 0;
          client.setRequests([
            {
              setupRequest: (request) => {
                if (path === 'check') return { ...request, headers: { ...request.headers, authorization } };
                const now = Date.now();
                const events = Array.from({ length: BATCH }, () => benchEvent(sequence++, stream, now));
                return { ...request, headers: { ...request.headers, authorization }, body: JSON.stringify({ events }) };
              },
            },
          ]);
        },
      };
    }
  }
}

/** One real request of each path first: a benchmark of errors would be worthless. */
async function verify(base: string, clientId: string): Promise<void> {
  const [guest] = await guests(base, clientId, 1);
  const refreshed = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: guest!.session_token }),
  });
  if (refreshed.status !== 200) throw new Error(`refresh: ${refreshed.status} ${await refreshed.text()}`);
  const session = await fetch(`${base}/anonymous/session`, { headers: { authorization: `Bearer ${guest!.access_token}` } });
  if (session.status !== 200) throw new Error(`token check: ${session.status} ${await session.text()}`);
  const sent = await post(`${base}/v1/events`, { events: [benchEvent(0, nextStream++, Date.now())] }, { authorization: `Bearer ${guest!.access_token}` });
  if (sent['accepted'] !== 1) throw new Error(`ingest: ${JSON.stringify(sent)}`);
}

async function measureNodes(count: number, redisUrl: string, results: Map<string, Measured>, costs: Map<string, Costs>) {
  const schema = `gp_bench_cluster_${count}_${randomBytes(4).toString('hex')}`;
  const application = `guestpass-bench-${schema}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('application_name', application);
  const env = {
    ...UNTHROTTLED_LIMITS,
    GUESTPASS_DATABASE_URL: url.toString(),
    GUESTPASS_DATABASE_SCHEMA: schema,
    GUESTPASS_MASTER_KEY: randomBytes(32).toString('base64url'),
    GUESTPASS_ISSUER: ORIGIN,
    // Behind the proxy, the one hop to believe.
    ...(count > 1 ? { GUESTPASS_TRUSTED_PROXIES: '1' } : {}),
    GUESTPASS_REDIS_URL: redisUrl,
    GUESTPASS_REDIS_PREFIX: `bench:${schema}:`,
  };
  const postgres = new pg.Client({ connectionString: POSTGRES_URL });
  await postgres.connect();
  const redis = new Redis(redisUrl);
  const nodes: Target<ClusterTarget>[] = [];
  let proxy: Target<ClusterTarget> | undefined;
  try {
    // The first alone: it migrates the schema and creates the client the others read.
    nodes.push(await startProcess('node', { env, createClient: true }));
    for (let more = 1; more < count; more++) nodes.push(await startProcess('node', { env }));
    if (count > 1) proxy = await startProcess('proxy', { targets: nodes.map((node) => node.info.url) });
    const clientId = nodes[0]!.info.clientId!;
    const measured = group(nodes, proxy, redis, postgres, application);
    const base = measured.target.info.url;
    await verify(base, clientId);
    for (const { name } of PATHS) {
      const key = `${name}-${count}`;
      console.log(`${labelOf(name, count)}: measuring`);
      const result = await measure(measured.target, () => load(name, base, clientId));
      results.set(key, result);
      costs.set(key, measured.costs(result));
    }
  } finally {
    await proxy?.stop();
    for (const node of nodes) await node.stop();
    redis.disconnect();
    await postgres.query(`drop schema if exists ${schema} cascade`);
    await postgres.end();
  }
}

const labelOf = (path: Path, count: number) =>
  `${PATHS.find(({ name }) => name === path)?.label}, ${count === 1 ? '1 node direct' : `${count} nodes via proxy`}`;

async function measureCeilings(results: Map<string, Measured>): Promise<void> {
  const echo = await startProcess('ceiling', {});
  try {
    results.set('ceiling-1', await measure(echo, () => echo.info.echo!));
    const proxy = await startProcess('proxy', { targets: [echo.info.url] });
    try {
      // The echo's CPU, as for the nodes; the proxy's own is the difference the hop makes.
      results.set('ceiling-3', await measure({ ...echo, info: proxy.info }, () => ({ ...echo.info.echo!, url: `${proxy.info.url}/echo` })));
    } finally {
      await proxy.stop();
    }
  } finally {
    await echo.stop();
  }
}

export async function main(): Promise<void> {
  printPreamble('one node vs three on PostgreSQL + Redis');
  const results = new Map<string, Measured>();
  const costs = new Map<string, Costs>();
  await measureCeilings(results);
  const redis = await startOwnRedis();
  try {
    for (const count of NODE_COUNTS) await measureNodes(count, redis.url, results, costs);
  } finally {
    await redis.stop();
  }

  const rows = [
    { name: 'ceiling-1', label: 'Fastify JSON echo (ceiling), direct' },
    { name: 'ceiling-3', label: 'Fastify JSON echo (ceiling), via proxy' },
    ...PATHS.flatMap(({ name }) => NODE_COUNTS.map((count) => ({ name: `${name}-${count}`, label: labelOf(name, count) }))),
  ];
  printTable(rows, results);

  console.log(
    '\nper request: SQL statements and transactions (sent by the nodes), PostgreSQL backend CPU; Redis commands sent by the nodes (a script is one) and executed by Redis (its calls included), Redis CPU; proxy CPU (1.00 = a core)',
  );
  for (const { name, label } of rows) {
    const cost = costs.get(name);
    if (!cost) continue;
    const cells = [
      `${cost.statements.toFixed(2)} stmt`,
      `${cost.transactions.toFixed(2)} tx`,
      `${cost.postgresCpuMs.toFixed(3)} ms PG`,
      `${cost.redisSent.toFixed(2)} sent`,
      `${cost.redisCommands.toFixed(2)} run`,
      `${cost.redisCpuUs.toFixed(1)} µs Redis`,
      `${cost.proxyCpu.toFixed(2)} proxy`,
    ];
    console.log(`${label.padEnd(50)}${cells.map((cell) => cell.padStart(15)).join('')}`);
  }

  console.log('\nthree nodes via proxy / one node direct (this machine has few cores: three nodes share them, and the proxy takes its share):');
  for (const { name, label } of [{ name: 'ceiling', label: 'ceiling' }, ...PATHS]) {
    const one = results.get(`${name}-1`);
    const three = results.get(`${name}-3`);
    if (one && three) console.log(`  ${label.padEnd(32)}${(rate(three) / rate(one)).toFixed(2)}× req/s`);
  }
  checkFailures(results);
}
