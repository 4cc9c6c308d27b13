// `npm run bench -- memory`: what a server costs to start and to keep, as deployed: the compiled
// entry (`node dist/cli/index.js serve`, so build first: `npx tsc -p tsconfig.build.json`) on a
// fresh data folder (SQLite), once per GUESTPASS_GEOIP_LOAD value:
//   start-up   from spawning the process to the first 200 from POST /anonymous/token (the
//              development public client it creates on a fresh folder), key generation,
//              migrations and module loading included
//   idle RSS   BENCH_SETTLE seconds (default 5) after that first token: with `startup` the
//              geolocation and ASN data have been read by then
//   load RSS   the highest RSS while autocannon creates guests for BENCH_DURATION seconds from
//              20,000 public networks (X-Forwarded-For), so detection looks every one of them up
// RSS is read with `ps`, every 250 ms under load.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { publicAddressOf } from './anomaly-load.js';
import { CONNECTIONS, DURATION, printPreamble } from './harness.js';
import { OBSERVE_SIGNUP_FLOODS, UNTHROTTLED_LIMITS } from './target.js';

const ENTRY = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));
const SETTLE_S = Number(process.env['BENCH_SETTLE'] ?? 5);
const ORIGIN = 'http://localhost:3000';
const MODES = ['startup', 'first-use', 'off'] as const;
export type GeoLoadMode = (typeof MODES)[number];

export interface Footprint {
  mode: GeoLoadMode;
  startupMs: number;
  idleRssMb: number;
  loadRssMb: number;
  loadRate: number;
}

async function rssMb(pid: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'rss=', '-p', String(pid)]);
  return Number(stdout.trim()) / 1024;
}

/** Resolves with the first match of `pattern` in the child's stdout. */
function awaitOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        child.stdout?.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before printing ${pattern}: ${text.slice(-500)}`)));
  });
}

async function createGuest(url: string, clientId: string, address?: string): Promise<number> {
  const response = await fetch(`${url}/anonymous/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...(address ? { 'x-forwarded-for': address } : {}) },
    body: JSON.stringify({ client_id: clientId }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function footprint(mode: GeoLoadMode): Promise<Footprint> {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-memory-'));
  const started = performance.now();
  const child = spawn(process.execPath, [ENTRY, 'serve'], {
    env: {
      ...process.env,
      ...UNTHROTTLED_LIMITS,
      ...OBSERVE_SIGNUP_FLOODS,
      GUESTPASS_DATA_DIR: dataDir,
      GUESTPASS_PORT: '0',
      GUESTPASS_HOST: '127.0.0.1',
      GUESTPASS_LOG_LEVEL: 'warn',
      GUESTPASS_TRUSTED_PROXIES: '1',
      GUESTPASS_GEOIP_LOAD: mode,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const [clientId, url] = await Promise.all([awaitOutput(child, /public client\s+(\S+)/), awaitOutput(child, /listening on (\S+)/)]);
    let status = await createGuest(url, clientId);
    while (status !== 200) {
      if (status !== 503) throw new Error(`POST /anonymous/token answered ${status}`);
      status = await createGuest(url, clientId);
    }
    const startupMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_S * 1000));
    const idleRssMb = await rssMb(child.pid!);

    let peak = idleRssMb;
    const sampler = setInterval(() => {
      rssMb(child.pid!).then(
        (rss) => (peak = Math.max(peak, rss)),
        () => {},
      );
    }, 250);
    let visitor = 0;
    const result = await autocannon({
      url: `${url}/anonymous/token`,
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ client_id: clientId }),
      connections: CONNECTIONS,
      duration: DURATION,
      setupClient(client) {
        client.setRequests([
          {
            setupRequest: (request) => {
              const address = publicAddressOf(visitor++);
              return { ...request, headers: { ...request.headers, 'x-forwarded-for': address } };
            },
          },
        ]);
      },
    });
    clearInterval(sampler);
    peak = Math.max(peak, await rssMb(child.pid!));
    if (result.non2xx + result.errors + result.timeouts > 0)
      throw new Error(
        `${mode}: ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors, ${result.timeouts} timeouts under load`,
      );
    return { mode, startupMs, idleRssMb, loadRssMb: peak, loadRate: result.requests.mean };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function main(): Promise<Footprint[]> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: build first (npx tsc -p tsconfig.build.json)`);
  printPreamble('start-up and memory (compiled entry, SQLite, fresh data folder)');
  console.log(
    `\n${'GUESTPASS_GEOIP_LOAD'.padEnd(22)}${['first token ms', 'idle RSS MB', 'load RSS MB', 'load req/s'].map((title) => title.padStart(16)).join('')}`,
  );
  const results: Footprint[] = [];
  for (const mode of MODES) {
    const result = await footprint(mode);
    results.push(result);
    const cells = [result.startupMs.toFixed(0), result.idleRssMb.toFixed(0), result.loadRssMb.toFixed(0), result.loadRate.toFixed(0)];
    console.log(`${mode.padEnd(22)}${cells.map((cell) => cell.padStart(16)).join('')}`);
  }
  const on = results.find(({ mode }) => mode === 'startup');
  const off = results.find(({ mode }) => mode === 'off');
  if (on && off) console.log(`\nthe bundled geolocation and ASN data cost ${(on.idleRssMb - off.idleRssMb).toFixed(0)} MB of RSS at idle`);
  return results;
}
