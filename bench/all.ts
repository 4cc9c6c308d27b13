// `npm run bench -- all`: the benches that answer users' questions, one after another (token,
// anonymous, ingest, latency, memory), then ONE table of every path and the machine it ran on:
// what the README's Performance section shows. Every setting of the single benches applies
// (BENCH_DURATION, BENCH_CONNECTIONS, BENCH_OPEN_RATE, BENCH_POSTGRES_URL for the PostgreSQL
// rows…); their own output is printed as they run, the table last. Takes a few minutes.
import { cpus, loadavg, totalmem } from 'node:os';
import type { BenchRow } from './harness.js';
import { OPEN_RATE } from './harness.js';
import type { Footprint } from './memory.js';

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

function section(name: string): void {
  console.log(`\n${'='.repeat(20)} ${name} ${'='.repeat(20)}\n`);
}

/** The machine line: CPU model, cores, memory, Node, and how busy the machine was. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}, ${process.platform}; load average ${loadavg()[0]!.toFixed(1)} at the end`;
}

export async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const loadAtStart = loadavg()[0]!;
  section('token');
  rows.push(...(await (await import('./token.js')).main()));
  section('anonymous');
  rows.push(...(await (await import('./anonymous.js')).main()));
  section('ingest');
  rows.push(...(await (await import('./ingest.js')).main()));
  section('latency');
  const latency = await (await import('./latency.js')).main();
  section('memory');
  const footprints: Footprint[] = await (await import('./memory.js')).main();

  section('summary');
  console.log(`| path | req/s | vs peer | vs HTTP ceiling | server CPU | p50/p99 at ${OPEN_RATE} req/s |`);
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    const rate = row.unit === 'events/s' ? `${integer(row.rate)} events/s` : integer(row.rate);
    const open = row.open ? `${row.open.p50} / ${row.open.p99} ms` : '—';
    const cells = [
      row.path,
      rate,
      row.vsPeer ?? '—',
      row.vsCeiling === undefined ? '—' : percent(row.vsCeiling),
      row.serverCpu === undefined ? '—' : percent(row.serverCpu),
      open,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  if (latency)
    console.log(
      `| token lifecycle, open loop (create + 3 refreshes) | ${latency.rate} | — | — | — | ${latency.p50.toFixed(1)} / ${latency.p99.toFixed(1)} ms (detection on; off: ${latency.offP50.toFixed(1)} / ${latency.offP99.toFixed(1)}) |`,
    );
  console.log('\n| GUESTPASS_GEOIP_LOAD | start-up to first token | RSS idle | RSS under load |');
  console.log('|---|---|---|---|');
  for (const { mode, startupMs, idleRssMb, loadRssMb } of footprints)
    console.log(`| \`${mode}\` | ${integer(startupMs)} ms | ${integer(idleRssMb)} MB | ${integer(loadRssMb)} MB |`);
  console.log(`\nmachine: ${machineLine()} (${loadAtStart.toFixed(1)} at the start)`);
}
