import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyServerOptions } from 'fastify';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { loadConfig } from '../../src/app/config.js';
import { clientFromArgs } from './clients.js';
import { postgresUrl, type DatabaseKind } from './databases.js';
import { geolocationFor } from './geolocation.js';
import { CLI_ARGS, repoRoot } from './paths.js';
import { CHEAP_PASSWORD_HASHES } from './password-cost.js';
import { dropSchema, uniqueSchema } from './store.js';

const run = promisify(execFile);

export interface TestServer extends RunningServer {
  /** GUESTPASS_* variables that point the CLI at this server's store. */
  env: Record<string, string>;
  /**
   * Runs `guestpass …` (in a process of its own: a second or more) against this server's
   * store and returns stdout; for tests whose subject is the command line.
   */
  cli(args: string[]): Promise<string>;
  /**
   * Creates a client from `guestpass clients create` flags (parsed by the CLI's own parser)
   * through this server's client service, in-process, and returns its id and secret.
   */
  createClient(args: string[]): Promise<{ client_id: string; client_secret?: string }>;
  /** Gets a client_credentials token over HTTP. */
  clientCredentialsToken(clientId: string, clientSecret: string, extra?: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export interface StartTestServerOptions {
  database: DatabaseKind;
  /** Extra GUESTPASS_* settings for this server. */
  env?: Record<string, string>;
  /** Fastify logger settings; silent unless GUESTPASS_TEST_LOG is set. */
  logger?: FastifyServerOptions['logger'];
  /** The server's clock, for tests that move time forward instead of sleeping. @default Date.now */
  now?: () => number;
}

/**
 * The key table is re-read at production's interval (30 s): re-read every 0.1 s, each idle
 * server spent 15 to 25 ms of CPU a second on it (more on PostgreSQL, whose backend works too),
 * in every test file. A rotation made in-process refreshes the keyring itself; a test that
 * rotates from another process (the CLI, another node) sets FAST_KEY_REFRESH.
 */
export const FAST_KEY_REFRESH = { GUESTPASS_KEY_REFRESH_INTERVAL: '0.1' };

/** A real server on 127.0.0.1 and an ephemeral port, with its own data folder and schema. */
export async function startTestServer({ database, env: extraEnv = {}, logger, now }: StartTestServerOptions): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-test-'));
  const env: Record<string, string> = {
    GUESTPASS_DATA_DIR: dataDir,
    GUESTPASS_DEV_CLIENTS: 'false',
    ...CHEAP_PASSWORD_HASHES,
    ...geolocationFor(extraEnv),
    ...extraEnv,
  };
  let schema: string | undefined;
  if (database === 'postgres') {
    const url = postgresUrl();
    if (!url) throw new Error('PostgreSQL is not available for this test run');
    schema = uniqueSchema('gp_test');
    env['GUESTPASS_DATABASE_URL'] = url;
    env['GUESTPASS_DATABASE_SCHEMA'] = schema;
  }
  const { config } = loadConfig({ env, flags: { port: '0', host: '127.0.0.1' } });
  const server = await startServer({
    config,
    logger: logger ?? (process.env['GUESTPASS_TEST_LOG'] ? { level: 'debug' } : false),
    print: () => {},
    ...(now ? { now } : {}),
  });

  const cli = async (args: string[]) => {
    const { stdout } = await run(process.execPath, [...CLI_ARGS, ...args], {
      env: { ...process.env, ...env, GUESTPASS_LOG_LEVEL: 'silent' },
      cwd: repoRoot,
    });
    return stdout;
  };

  return {
    ...server,
    env,
    cli,
    async createClient(args) {
      const { client, clientSecret } = await server.ctx.clients.create(clientFromArgs(args));
      return { client_id: client.id, ...(clientSecret ? { client_secret: clientSecret } : {}) };
    },
    async clientCredentialsToken(clientId, clientSecret, extra = {}) {
      const response = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    },
  };
}
