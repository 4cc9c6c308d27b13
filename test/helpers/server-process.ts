import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClientOn } from './clients.js';
import { postgresUrl, type DatabaseKind } from './databases.js';
import { geolocationFor } from './geolocation.js';
import { CLI_ARGS as CLI, repoRoot } from './paths.js';
import { CHEAP_PASSWORD_HASHES } from './password-cost.js';
import { dropSchema, uniqueSchema } from './store.js';

/**
 * `guestpass serve` in a process of its own, as `npm start` runs it: for what only shows across
 * processes (a client and a server that do not share an event loop) and for signals.
 */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr (pino writes JSON lines to stdout). */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects if the process exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code, once it has exited. */
  exited: Promise<number | null>;
  /** Creates a client on the same store, in the test's process (test/helpers/clients.ts). */
  createClient(args: string[]): Promise<{ client_id: string; client_secret?: string }>;
  /** SIGKILL (no drain, no clean-up), then a new process on the same store and port. */
  crashAndRestart(): Promise<void>;
  /** SIGTERM if still running, then removes its data folder and schema. */
  stop(): Promise<void>;
}

export interface StartServerProcessOptions {
  database: DatabaseKind;
  /** Extra GUESTPASS_* settings. */
  env?: Record<string, string>;
}

export async function startServerProcess({ database, env: extraEnv = {} }: StartServerProcessOptions): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-process-'));
  const env: Record<string, string> = {
    GUESTPASS_DATA_DIR: dataDir,
    GUESTPASS_DEV_CLIENTS: 'false',
    GUESTPASS_LOG_LEVEL: 'info',
    GUESTPASS_DATABASE_URL: '',
    ...CHEAP_PASSWORD_HASHES,
    ...geolocationFor(extraEnv),
    ...extraEnv,
  };
  let schema: string | undefined;
  if (database === 'postgres') {
    schema = uniqueSchema('gp_proc');
    env['GUESTPASS_DATABASE_URL'] = postgresUrl()!;
    env['GUESTPASS_DATABASE_SCHEMA'] = schema;
  }
  const cleanUp = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) await dropSchema(schema);
  };
  let running: Spawned;
  try {
    running = await spawnServer(env, '0');
  } catch (error) {
    await cleanUp();
    throw error;
  }

  const server: ServerProcess = {
    url: running.url,
    child: running.child,
    output: () => running.output(),
    waitForOutput: (pattern, timeoutMs) => running.waitForOutput(pattern, timeoutMs),
    exited: running.exited,
    createClient: (args) => createClientOn(env, args),
    async crashAndRestart() {
      running.child.kill('SIGKILL');
      await running.exited;
      // The same port keeps the issuer, and so every token issued before the crash, valid.
      running = await spawnServer(env, new URL(running.url).port);
      Object.assign(server, { url: running.url, child: running.child, exited: running.exited });
    },
    async stop() {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
      await running.exited;
      await cleanUp();
    },
  };
  return server;
}

export type Spawned = Pick<ServerProcess, 'url' | 'child' | 'output' | 'waitForOutput' | 'exited'>;

/** Starts `guestpass serve` with `env` on `port` and resolves once it listens. */
export async function spawnServer(env: Record<string, string>, port: string): Promise<Spawned> {
  const child = spawn(process.execPath, [...CLI, 'serve', '--port', port, '--host', '127.0.0.1'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  // The deadline only turns a hang into a failure; a busy machine can take many seconds to start a process.
  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        watchers.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (pattern.test(output)) finish();
      };
      const timer = setTimeout(() => finish(new Error(`no ${pattern} in the server output within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      void exited.then((code) => finish(new Error(`the server exited (${code}) before printing ${pattern}:\n${output}`)));
      watchers.add(check);
      check();
    });

  try {
    await waitForOutput(/listening on http:\/\/\S+/);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return { url: /listening on (http:\/\/\S+)/.exec(output)![1]!, child, output: () => output, waitForOutput, exited };
}
