// The parent side of the HTTP benches (token, anonymous): each server runs in its own child
// process (a script built on bench/target.ts) and autocannon loads it from this one, so on a
// two-core machine the server has a core to itself. Targets run one after another.
// BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 50) and BENCH_WARMUP
// (seconds, default 2, not measured) make a quick run possible; BENCH_TARGETS (comma-separated
// names, default all) runs only some targets, for A/B comparisons of one of them;
// BENCH_CPU_PROF=<directory> has each server write V8 CPU profiles to <directory>/<target>/.
// BENCH_OPEN_RATE (requests/s, default 200; 0 skips it) adds, after the closed-loop run, one of
// the same length at that fixed rate (autocannon's overallRate): its p50/p99 are what a user
// sees at a steady load below saturation, where the closed-loop figures are a full queue's.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Options, type Result } from 'autocannon';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value >= 0)) throw new Error(`${name} must be a number ≥ 0, not "${process.env[name]}"`);
  return value;
}

export const DURATION = setting('BENCH_DURATION', 10);
export const CONNECTIONS = setting('BENCH_CONNECTIONS', 50);
const WARMUP = setting('BENCH_WARMUP', 2);
export const OPEN_RATE = setting('BENCH_OPEN_RATE', 200);

export interface TargetChoice<Name extends string> {
  name: Name;
  label: string;
}

/** The targets BENCH_TARGETS names, in their order in `all`; all of them when it is unset. */
export function selectTargets<Choice extends TargetChoice<string>>(all: Choice[]): Choice[] {
  const names = process.env['BENCH_TARGETS']
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (!names?.length) return all;
  const unknown = names.filter((name) => !all.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_TARGETS: unknown ${unknown.join(', ')}; use ${all.map(({ name }) => name).join(', ')}`);
  return all.filter(({ name }) => names.includes(name));
}

/** A server in its child process. */
export interface Target<Info> {
  /** What the child sent once listening: how to load it. */
  info: Info;
  /** CPU time the server process has used so far, in microseconds. */
  cpuTime(): Promise<number>;
  stop(): Promise<void>;
}

/** Forks `script` (a target script, see bench/target.ts) for the target `name`. */
export async function startTarget<Info>(script: string, name: string): Promise<Target<Info>> {
  // One directory per target: tsx's loader thread writes a profile of its own beside the main one.
  const profile = process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env['BENCH_CPU_PROF'], name)}`] : [];
  const child: ChildProcess = fork(script, [name], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const info = await new Promise<Info>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Info));
    child.once('exit', (code, signal) => reject(new Error(`the ${name} server exited (${signal ?? code}) before it was ready`)));
  });
  const cpuTime = () =>
    new Promise<number>((resolve) => {
      child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
      child.send('cpu-usage');
    });
  const stop = async () => {
    // Closing the IPC channel asks the child to close its server and exit; kill it if it hangs.
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { info, cpuTime, stop };
}

/** Latency at the fixed rate OPEN_RATE (ms), and the rate that was reached. */
export interface OpenLoop {
  rate: number;
  p50: number;
  p99: number;
}

export type Measured = Result & { serverCpu: number; clientCpu: number; open?: OpenLoop };

/** autocannon options for one run, less the connections and duration the harness sets. */
export type Load = Omit<Options, 'connections' | 'duration'>;

/**
 * Warm-up, then the measured run, with the CPU both sides used during it. `load` is called
 * before each run (outside the CPU window), so a load that uses up state can make it anew.
 */
export async function measure(target: Target<unknown>, load: () => Load | Promise<Load>): Promise<Measured> {
  if (WARMUP > 0) await autocannon({ ...(await load()), connections: CONNECTIONS, duration: WARMUP });
  const options = await load();
  const serverBefore = await target.cpuTime();
  const clientBefore = process.cpuUsage();
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: DURATION });
  const client = process.cpuUsage(clientBefore);
  const server = (await target.cpuTime()) - serverBefore;
  // 100% is one core. A server near it is the bottleneck; well below it, it was starved
  // (by autocannon, whose own share is beside it, or by other work on the machine).
  const measured: Measured = { ...result, serverCpu: server / (DURATION * 1e6), clientCpu: (client.user + client.system) / (DURATION * 1e6) };
  if (OPEN_RATE > 0) {
    const open = await autocannon({ ...(await load()), connections: CONNECTIONS, duration: DURATION, overallRate: OPEN_RATE });
    measured.open = { rate: open.requests.mean, p50: open.latency.p50, p99: open.latency.p99 };
    // Failures at the fixed rate count as failures of the run.
    measured.non2xx += open.non2xx;
    measured.errors += open.errors;
    measured.timeouts += open.timeouts;
  }
  return measured;
}

/** Starts each target, checks it with `verify` (a label for the log), measures it, stops it. */
export async function measureAll<Name extends string, Info>(
  targets: TargetChoice<Name>[],
  start: (name: Name) => Promise<Target<Info>>,
  run: (name: Name, target: Target<Info>) => Promise<{ verified: string; load: () => Load | Promise<Load> }>,
): Promise<Map<Name, Measured>> {
  const results = new Map<Name, Measured>();
  for (const { name, label } of targets) {
    const target = await start(name);
    try {
      const { verified, load } = await run(name, target);
      console.log(`${label}: ${verified}`);
      results.set(name, await measure(target, load));
    } finally {
      await target.stop();
    }
  }
  return results;
}

export const rate = (result: Result): number => result.requests.mean;
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

/** The first lines of a bench's output: what ran, where, and how busy the machine was. */
export function printPreamble(what: string): void {
  console.log(`${what}, Node ${process.version}, ${availableParallelism()} CPUs, ${CONNECTIONS} connections, ${DURATION} s per target (+${WARMUP} s warm-up)`);
  // Other work on the machine skews every figure; say how busy it was.
  console.log(`load average at start: ${loadavg()[0]!.toFixed(2)}`);
}

type Column = [title: string, width: number, value: (result: Measured) => string | number];

const openColumn: Column = [`p50/p99 @${OPEN_RATE}/s`, 18, (result) => (result.open ? `${result.open.p50}/${result.open.p99} ms` : '—')];

const COLUMNS: Column[] = [
  ['req/s', 10, (result) => rate(result).toFixed(0)],
  ['p50 ms', 9, (result) => result.latency.p50],
  ['p99 ms', 9, (result) => result.latency.p99],
  ['non-2xx', 9, (result) => result.non2xx],
  ['errors', 8, (result) => result.errors + result.timeouts],
  ['server CPU', 12, (result) => percent(result.serverCpu)],
  // Requests per second of server CPU: steadier than req/s when other work starves the server.
  ['req/CPU-s', 11, (result) => (result.serverCpu > 0 ? rate(result) / result.serverCpu : 0).toFixed(0)],
  ['autocannon CPU', 16, (result) => percent(result.clientCpu)],
  // Only when there was a run at a fixed rate.
  ...(OPEN_RATE > 0 ? [openColumn] : []),
];

/** The load average at the end, then one row per measured target, in the order of `targets`. */
export function printTable<Name extends string>(targets: TargetChoice<Name>[], results: Map<Name, Measured>): void {
  console.log(`load average at end: ${loadavg()[0]!.toFixed(2)}`);
  const width = Math.max(34, ...targets.map(({ label }) => label.length + 2));
  console.log(`\n${'target'.padEnd(width)}${COLUMNS.map(([title, columnWidth]) => title.padStart(columnWidth)).join('')}`);
  for (const { name, label } of targets) {
    const result = results.get(name);
    if (result) console.log(`${label.padEnd(width)}${COLUMNS.map(([, columnWidth, value]) => String(value(result)).padStart(columnWidth)).join('')}`);
  }
}

/**
 * One line comparing the rates of two targets against an aim, when both ran: `ratio` prints
 * as 2.00×, `share` as a percentage. Says NOT MET plainly when the aim is missed.
 */
export function printAim(title: string, ours: Measured | undefined, theirs: Measured | undefined, aim: number, as: 'ratio' | 'share'): void {
  if (!ours || !theirs) return;
  const value = rate(ours) / rate(theirs);
  const shown = as === 'ratio' ? `${value.toFixed(2)}×` : `${(value * 100).toFixed(0)}%`;
  const aimed = as === 'ratio' ? `${aim}×` : `${(aim * 100).toFixed(0)}%`;
  console.log(`${title.padEnd(34)}${shown.padStart(8)}   (aim ≥ ${aimed})  ${value >= aim ? 'met' : 'NOT MET'}`);
}

/** One line of `npm run bench -- all`'s table: a path as users would ask about it. */
export interface BenchRow {
  path: string;
  /** Requests (or events, see `unit`) per second, closed loop. */
  rate: number;
  unit: 'req/s' | 'events/s';
  /** "3.1× oidc-provider", "44% of raw inserts"…; undefined when there is no peer. */
  vsPeer?: string;
  /** Share of the HTTP ceiling (bare Fastify echo), when measured. */
  vsCeiling?: number;
  serverCpu?: number;
  /** p50/p99 at the fixed open-loop rate, in ms. */
  open?: OpenLoop;
}

/** The row of `path` from a measured target, when it ran. */
export function rowOf(path: string, result: Measured | undefined, extra: Partial<BenchRow> = {}): BenchRow[] {
  if (!result) return [];
  return [{ path, rate: rate(result), unit: 'req/s', serverCpu: result.serverCpu, ...(result.open ? { open: result.open } : {}), ...extra }];
}

/** `a / b` as "3.1× name", when both ran. */
export function timesPeer(ours: Measured | undefined, theirs: Measured | undefined, name: string): { vsPeer?: string } {
  return ours && theirs ? { vsPeer: `${(rate(ours) / rate(theirs)).toFixed(1)}× ${name}` } : {};
}

/** `a / ceiling`, when both ran. */
export function shareOfCeiling(ours: Measured | undefined, ceiling: Measured | undefined): { vsCeiling?: number } {
  return ours && ceiling ? { vsCeiling: rate(ours) / rate(ceiling) } : {};
}

/** A run with any failed request is not a measurement of the endpoint: say so and exit 1. */
export function checkFailures(results: Map<string, Measured>): void {
  const failed = [...results].filter(([, result]) => result.non2xx + result.errors + result.timeouts > 0);
  if (failed.length > 0) {
    const detail = failed.map(([name, result]) => `${name} ${JSON.stringify(result.statusCodeStats)} errors ${result.errors} timeouts ${result.timeouts}`);
    console.error(`\nFAILED: ${detail.join('; ')}; these figures are not valid.`);
    process.exitCode = 1;
  }
}
