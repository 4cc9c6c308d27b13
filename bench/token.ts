// `npm run bench -- token`: client_credentials over HTTP on 127.0.0.1. Each server runs in its
// own child process (bench/token-target.ts) and autocannon loads it from this one, so on a
// two-core machine the server has a core to itself. Targets run one after another:
//   ceiling        a bare Fastify JSON echo: what this machine's HTTP stack can do at all
//   guestpass      POST /oauth/token, client_secret_basic, SQLite, rate limiter on
//   oidc-provider  node-oidc-provider issuing the same ES256 at+jwt access token
// BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 50) and BENCH_WARMUP
// (seconds, default 2, not measured) make a quick run possible.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import type { TargetName, TargetRequest } from './token-target.js';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value >= 0)) throw new Error(`${name} must be a number ≥ 0, not "${process.env[name]}"`);
  return value;
}

const DURATION = setting('BENCH_DURATION', 10);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 50);
const WARMUP = setting('BENCH_WARMUP', 2);
const TARGET_SCRIPT = fileURLToPath(new URL('./token-target.ts', import.meta.url));

const TARGETS: { name: TargetName; label: string }[] = [
  { name: 'ceiling', label: 'Fastify JSON echo (ceiling)' },
  { name: 'guestpass', label: 'Guestpass client_credentials' },
  { name: 'oidc-provider', label: 'oidc-provider client_credentials' },
];

interface Target {
  request: TargetRequest;
  /** CPU time the server process has used so far, in microseconds. */
  cpuTime(): Promise<number>;
  stop(): Promise<void>;
}

async function startTarget(name: TargetName): Promise<Target> {
  const child: ChildProcess = fork(TARGET_SCRIPT, [name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const request = await new Promise<TargetRequest>((resolve, reject) => {
    child.once('message', (message) => resolve(message as TargetRequest));
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
  return { request, cpuTime, stop };
}

/** One real request first: a benchmark of error responses would be worthless. */
async function verify(name: TargetName, { url, method, headers, body }: TargetRequest): Promise<string> {
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${name}: expected 200 from ${url}, got ${response.status}: ${text.slice(0, 500)}`);
  if (name === 'ceiling') return 'echo ok';
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  const encodedHeader = typeof token === 'string' && token.split('.').length === 3 ? token.split('.')[0] : undefined;
  if (typeof token !== 'string' || !encodedHeader) throw new Error(`${name}: 200 without a JWT access_token: ${text.slice(0, 500)}`);
  const { alg, typ } = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as { alg?: string; typ?: string };
  if (alg !== 'ES256' || typ !== 'at+jwt') throw new Error(`${name}: expected an ES256 at+jwt token, got alg ${alg}, typ ${typ}`);
  return `${alg} ${typ} access token, ${token.length} characters`;
}

type Measured = Result & { serverCpu: number; clientCpu: number };

/** Warm-up, then the measured run, with the CPU both sides used during it. */
async function measure(target: Target): Promise<Measured> {
  const run = (duration: number) => autocannon({ ...target.request, connections: CONNECTIONS, duration });
  if (WARMUP > 0) await run(WARMUP);
  const serverBefore = await target.cpuTime();
  const clientBefore = process.cpuUsage();
  const result = await run(DURATION);
  const client = process.cpuUsage(clientBefore);
  const server = (await target.cpuTime()) - serverBefore;
  // 100% is one core. A server near it is the bottleneck; well below it, it was starved
  // (by autocannon, whose own share is beside it, or by other work on the machine).
  return { ...result, serverCpu: server / (DURATION * 1e6), clientCpu: (client.user + client.system) / (DURATION * 1e6) };
}

const rate = (result: Result) => result.requests.mean;
const percent = (share: number) => `${(share * 100).toFixed(0)}%`;

const COLUMNS: [title: string, width: number, value: (result: Measured) => string | number][] = [
  ['req/s', 10, (result) => rate(result).toFixed(0)],
  ['p50 ms', 9, (result) => result.latency.p50],
  ['p99 ms', 9, (result) => result.latency.p99],
  ['non-2xx', 9, (result) => result.non2xx],
  ['errors', 8, (result) => result.errors + result.timeouts],
  ['server CPU', 12, (result) => percent(result.serverCpu)],
  ['autocannon CPU', 16, (result) => percent(result.clientCpu)],
];

function printTable(rows: { label: string; result: Measured }[]): void {
  console.log(`\n${'target'.padEnd(34)}${COLUMNS.map(([title, width]) => title.padStart(width)).join('')}`);
  for (const { label, result } of rows) {
    console.log(`${label.padEnd(34)}${COLUMNS.map(([, width, value]) => String(value(result)).padStart(width)).join('')}`);
  }
}

export async function main(): Promise<void> {
  console.log(`client_credentials, Node ${process.version}, ${availableParallelism()} CPUs, ${CONNECTIONS} connections, ${DURATION} s per target (+${WARMUP} s warm-up)`);
  // Other work on the machine skews every figure; say how busy it was.
  console.log(`load average at start: ${loadavg()[0]!.toFixed(2)}`);
  const results = new Map<TargetName, Measured>();
  for (const { name, label } of TARGETS) {
    const target = await startTarget(name);
    try {
      console.log(`${label}: ${await verify(name, target.request)}`);
      results.set(name, await measure(target));
    } finally {
      await target.stop();
    }
  }

  console.log(`load average at end: ${loadavg()[0]!.toFixed(2)}`);
  printTable(TARGETS.map(({ name, label }) => ({ label, result: results.get(name)! })));
  const ours = rate(results.get('guestpass')!);
  const peer = ours / rate(results.get('oidc-provider')!);
  const ceiling = ours / rate(results.get('ceiling')!);
  console.log(`\nGuestpass / oidc-provider: ${peer.toFixed(2)}×  (aim ≥ 2×)  ${peer >= 2 ? 'met' : 'NOT MET'}`);
  console.log(`Guestpass / ceiling:       ${(ceiling * 100).toFixed(0)}%   (aim ≥ 50%)  ${ceiling >= 0.5 ? 'met' : 'NOT MET'}`);

  const failed = [...results].filter(([, result]) => result.non2xx + result.errors + result.timeouts > 0);
  if (failed.length > 0) {
    console.error(`\nFAILED: ${failed.map(([name, result]) => `${name} ${JSON.stringify(result.statusCodeStats)}`).join('; ')}; these figures are not valid.`);
    process.exitCode = 1;
  }
}
