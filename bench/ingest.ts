// `npm run bench -- ingest`: telemetry ingestion over HTTP on 127.0.0.1, the server in its own
// child process (bench/ingest-target.ts), loaded by autocannon from this one:
//   batch-50   POST /v1/events with 50 events per request, one guest session per connection
//   batch-1    the same with one event per request
//   batch-50-pg, batch-1-pg
//              the same two on PostgreSQL (time-partitioned events; a group of new events, its
//              rollups and user days in one statement), side by side with SQLite, when
//              BENCH_POSTGRES_URL names a server
// Every request carries fresh event ids (no duplicates), a Bearer guest token (verified in
// full: signature, jti denylist and session revocation, two SQLite reads), and is answered only
// after its group commit and the flush of its WAL. Then, in the same run, the raw
// better-sqlite3 insert rate of the same rows (bench/ingest-raw.ts), the store's physical limit.
// Settings as for every HTTP bench (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_WARMUP,
// BENCH_TARGETS): see bench/harness.ts.
import { fileURLToPath } from 'node:url';
import {
  CONNECTIONS,
  DURATION,
  checkFailures,
  measure,
  printPreamble,
  printTable,
  rate,
  rowOf,
  selectTargets,
  startTarget,
  type BenchRow,
  type Load,
  type Measured,
} from './harness.js';
import { benchEvent } from './ingest-events.js';
import { rawInsertRate, type RawRate } from './ingest-raw.js';
import type { IngestTarget, IngestTargetName } from './ingest-target.js';
import { BENCH_POSTGRES_URL } from './target.js';

const TARGET_SCRIPT = fileURLToPath(new URL('./ingest-target.ts', import.meta.url));
const BATCH: Record<IngestTargetName, number> = { 'batch-50': 50, 'batch-1': 1, 'batch-50-pg': 50, 'batch-1-pg': 1 };

const TARGETS = selectTargets<{ name: IngestTargetName; label: string }>([
  { name: 'batch-50', label: 'Guestpass POST /v1/events, 50 per batch' },
  { name: 'batch-1', label: 'Guestpass POST /v1/events, 1 per batch' },
  ...(BENCH_POSTGRES_URL
    ? [
        { name: 'batch-50-pg' as const, label: 'POST /v1/events, 50 per batch, PostgreSQL' },
        { name: 'batch-1-pg' as const, label: 'POST /v1/events, 1 per batch, PostgreSQL' },
      ]
    : []),
]);

async function guestToken(info: IngestTarget): Promise<string> {
  const response = await fetch(info.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: info.origin },
    body: JSON.stringify({ client_id: info.clientId }),
  });
  const body = (await response.json()) as { access_token?: string; scope?: string };
  if (!response.ok || !body.access_token || !body.scope?.includes('telemetry:write'))
    throw new Error(`no telemetry token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Streams of event ids never repeat within a run: each connection of each load gets its own. */
let nextStream = 1;
/** Answers that were 202 but did not store every event (duplicates or rejections). */
let incomplete = 0;

function batchBody(stream: number, counter: { sequence: number }, size: number): string {
  const now = Date.now();
  const events = Array.from({ length: size }, () => benchEvent(counter.sequence++, stream, now));
  return JSON.stringify({ events });
}

async function load(info: IngestTarget, size: number): Promise<Load> {
  const tokens = await Promise.all(Array.from({ length: CONNECTIONS }, () => guestToken(info)));
  const expected = `{"accepted":${size},"duplicates":0,"rejected":[]}`;
  return {
    url: info.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: info.origin },
    setupClient(client) {
      const token = tokens.pop() ?? '';
      const stream = nextStream++;
      const counter = { sequence: 0 };
      client.setRequests([
        {
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, authorization: `Bearer ${token}` },
            body: batchBody(stream, counter, size),
          }),
          onResponse: (status, body) => {
            if (status === 202 && body !== expected) incomplete += 1;
          },
        },
      ]);
    },
  };
}

async function verify(info: IngestTarget, size: number): Promise<string> {
  const token = await guestToken(info);
  const response = await fetch(info.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: info.origin, authorization: `Bearer ${token}` },
    body: batchBody(nextStream++, { sequence: 0 }, size),
  });
  const text = await response.text();
  if (response.status !== 202 || text !== `{"accepted":${size},"duplicates":0,"rejected":[]}`)
    throw new Error(`expected 202 with ${size} accepted, got ${response.status}: ${text.slice(0, 300)}`);
  return `202, ${size} accepted`;
}

const eventsPerSecond = (name: IngestTargetName, result: Measured) => rate(result) * BATCH[name];

/** How the group commit behaved over the whole run (warm-up included), from the server's /metrics. */
async function commitStats(info: IngestTarget): Promise<{ commits: number; events: number; seconds: number }> {
  const text = await (await fetch(info.url.replace(/\/v1\/events$/, '/metrics'))).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    commits: value(/^guestpass_telemetry_commit_seconds_count (\S+)$/m),
    seconds: value(/^guestpass_telemetry_commit_seconds_sum (\S+)$/m),
    events: value(/^guestpass_telemetry_events_total\{outcome="accepted"\} (\S+)$/m),
  };
}

export async function main(): Promise<BenchRow[]> {
  printPreamble(BENCH_POSTGRES_URL ? 'telemetry ingestion (SQLite and PostgreSQL)' : 'telemetry ingestion (SQLite; BENCH_POSTGRES_URL adds PostgreSQL)');
  const results = new Map<IngestTargetName, Measured>();
  const commits = new Map<IngestTargetName, Awaited<ReturnType<typeof commitStats>>>();
  for (const { name, label } of TARGETS) {
    const target = await startTarget<IngestTarget>(TARGET_SCRIPT, name);
    try {
      console.log(`${label}: ${await verify(target.info, BATCH[name])}`);
      results.set(name, await measure(target, () => load(target.info, BATCH[name])));
      commits.set(name, await commitStats(target.info));
    } finally {
      await target.stop();
    }
  }
  printTable(TARGETS, results);

  console.log('\nraw better-sqlite3 inserts of the same rows (same table and indexes, WAL, synchronous=FULL), in this process:');
  const raws: RawRate[] = [];
  for (const rows of [50, 1, 5000]) {
    const raw = await rawInsertRate(rows, Math.max(1, DURATION / 2));
    raws.push(raw);
    console.log(`  ${String(rows).padStart(5)} rows per transaction: ${raw.rowsPerSecond.toFixed(0).padStart(9)} rows/s`);
  }
  const ceiling = Math.max(...raws.map((raw) => raw.rowsPerSecond));

  console.log('');
  for (const { name, label } of TARGETS) {
    const result = results.get(name);
    if (!result) continue;
    const events = eventsPerSecond(name, result);
    const perCpu = result.serverCpu > 0 ? events / result.serverCpu : 0;
    console.log(
      `${label.padEnd(42)}${events.toFixed(0).padStart(9)} events/s  (${perCpu.toFixed(0)} per server CPU-second)  = ${((events / ceiling) * 100).toFixed(1)}% of the raw SQLite rate`,
    );
    const stats = commits.get(name);
    if (stats && stats.commits > 0) {
      console.log(
        `${''.padEnd(42)}group commit: ${(stats.events / stats.commits).toFixed(0)} events per transaction, ${((stats.seconds / stats.commits) * 1000).toFixed(2)} ms per transaction`,
      );
    }
  }
  const fifty = results.get('batch-50');
  if (fifty) {
    const events = eventsPerSecond('batch-50', fifty);
    console.log(
      `\naim: ≥ 60% of the raw insert rate (${ceiling.toFixed(0)} rows/s), SQLite, batches of 50: ${((events / ceiling) * 100).toFixed(1)}%  ${events / ceiling >= 0.6 ? 'met' : 'NOT MET'}`,
    );
  }
  const fiftyPg = results.get('batch-50-pg');
  if (fiftyPg) {
    const events = eventsPerSecond('batch-50-pg', fiftyPg);
    console.log(`aim: ≥ 50000 events/s in batches of 50 on PostgreSQL: ${events.toFixed(0)}  ${events >= 50_000 ? 'met' : 'NOT MET'}`);
  }
  if (incomplete > 0) console.error(`\n${incomplete} answers did not accept every event of their batch.`);
  checkFailures(results);
  if (incomplete > 0) process.exitCode = 1;
  const row = (path: string, name: IngestTargetName, withRaw: boolean): BenchRow[] => {
    const result = results.get(name);
    if (!result) return [];
    const events = eventsPerSecond(name, result);
    return rowOf(path, result, {
      rate: events,
      unit: 'events/s',
      ...(withRaw ? { vsPeer: `${((events / ceiling) * 100).toFixed(0)}% of raw SQLite inserts` } : {}),
    });
  };
  return [
    ...row('telemetry, batches of 50', 'batch-50', true),
    ...row('telemetry, batches of 50 (PostgreSQL)', 'batch-50-pg', false),
    ...row('telemetry, batches of 1', 'batch-1', false),
  ];
}
