import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClientOn } from './clients.js';
import { postgresUrl } from './databases.js';
import { NO_GEOLOCATION } from './geolocation.js';
import { CHEAP_PASSWORD_HASHES } from './password-cost.js';
import { CLI_ARGS as CLI, repoRoot } from './paths.js';
import { startProxy } from './proxy.js';
import { dropRedisPrefix, redisUrl as machineRedisUrl, uniqueRedisPrefix } from './redis.js';
import { spawnServer, type Spawned } from './server-process.js';
import { dropSchema, uniqueSchema } from './store.js';

const run = promisify(execFile);

/**
 * N `guestpass serve` processes on one PostgreSQL schema and one Redis (a key prefix of this
 * cluster alone), behind a round-robin HTTP proxy on loopback: the issuer every node names is
 * the proxy's URL, as behind a real load balancer.
 */
export interface Cluster {
  /** The proxy: requests go to the nodes in turn. */
  url: string;
  /** Each node's own URL, to ask one of them directly. */
  nodes: Spawned[];
  /** The PostgreSQL schema every node uses, to check what was committed. */
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  /** Runs `guestpass <args>` (the CLI) on the same database and Redis, and returns its stdout. */
  cli(args: string[]): Promise<string>;
  /** Creates a client on the cluster's database, in the test's process (test/helpers/clients.ts). */
  createClient(args: string[]): Promise<{ client_id: string; client_secret?: string }>;
  /** A client_credentials access token, through the proxy. */
  clientCredentialsToken(clientId: string, secret: string): Promise<string>;
  /** SIGKILL of node `index` (no drain, no clean-up); resolves once it has exited. */
  kill(index: number): Promise<void>;
  /** Starts node `index` again on its port, data folder and settings; the proxy finds it by its health check. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  nodes?: number;
  /** The machine's Redis unless a test brings its own (one it may stop, or a redis+sentinel:// or redis+cluster:// topology). */
  redisUrl?: string;
  env?: Record<string, string>;
  /**
   * Whether the nodes open the geolocation and ASN databases. Off unless asked: the multi-node
   * tests send loopback and 198.18.0.0/15 addresses, which no database places, and three nodes
   * would spend 3 to 4 s of CPU opening them. A test that plays real addresses (the simulator's)
   * turns it on. @default false
   */
  geolocation?: boolean;
}

/** Whether the cluster tests can run here; the reason to skip them otherwise. */
export function clusterSkipReason(redisAnswers: boolean): string | false {
  if (!postgresUrl()) return 'PostgreSQL not reachable (set GUESTPASS_TEST_DATABASE_URL): the multi-node tests need it';
  if (!redisAnswers) return `Redis not reachable at ${machineRedisUrl()} (set GUESTPASS_TEST_REDIS_URL): the multi-node tests need it`;
  return false;
}

export async function startCluster({
  nodes: count = 3,
  redisUrl = machineRedisUrl(),
  env: extraEnv = {},
  geolocation = false,
}: StartClusterOptions = {}): Promise<Cluster> {
  const schema = uniqueSchema('gp_cluster');
  const redisPrefix = uniqueRedisPrefix('cluster');
  const dataDirs: string[] = [];
  const proxy = await startProxy();
  const env: Record<string, string> = {
    GUESTPASS_DEV_CLIENTS: 'false',
    GUESTPASS_LOG_LEVEL: 'info',
    GUESTPASS_DATABASE_URL: postgresUrl()!,
    GUESTPASS_DATABASE_SCHEMA: schema,
    // Every node must open what the others sealed.
    GUESTPASS_MASTER_KEY: randomBytes(32).toString('base64url'),
    GUESTPASS_ISSUER: proxy.url,
    // The proxy is the one hop to believe: it reports the client's address.
    GUESTPASS_TRUSTED_PROXIES: '1',
    GUESTPASS_REDIS_URL: redisUrl,
    GUESTPASS_REDIS_PREFIX: redisPrefix,
    ...CHEAP_PASSWORD_HASHES,
    ...(geolocation ? {} : NO_GEOLOCATION),
    ...extraEnv,
  };
  const nodeEnvs: Record<string, string>[] = [];
  const nodeEnv = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-node-'));
    dataDirs.push(dataDir);
    const own = { ...env, GUESTPASS_DATA_DIR: dataDir };
    nodeEnvs.push(own);
    return own;
  };
  const nodes: Spawned[] = [];
  const stop = async () => {
    await proxy.close();
    for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
    await Promise.all(nodes.map((node) => node.exited));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
    // A Sentinel or Cluster a test started for itself is thrown away whole by that test.
    if (redisUrl.startsWith('redis://')) await dropRedisPrefix(redisUrl, redisPrefix);
  };
  try {
    // The first alone: it migrates the schema and generates the keys the others load.
    nodes.push(await spawnServer(nodeEnv(), '0'));
    nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, () => spawnServer(nodeEnv(), '0')))));
  } catch (error) {
    await stop();
    throw error;
  }
  proxy.setTargets(nodes.map((node) => node.url));

  const cli = async (args: string[]) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-cli-'));
    try {
      const { stdout } = await run(process.execPath, [...CLI, ...args], {
        env: { ...process.env, ...env, GUESTPASS_DATA_DIR: dataDir, GUESTPASS_LOG_LEVEL: 'silent' },
        cwd: repoRoot,
      });
      return stdout;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  return {
    url: proxy.url,
    nodes,
    schema,
    redisUrl,
    redisPrefix,
    cli,
    async createClient(args) {
      const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-cli-'));
      try {
        return await createClientOn({ ...env, GUESTPASS_DATA_DIR: dataDir }, args);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    async clientCredentialsToken(clientId, secret) {
      const response = await fetch(`${proxy.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`client_credentials failed: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async kill(index) {
      const node = nodes[index]!;
      node.child.kill('SIGKILL');
      await node.exited;
    },
    async restart(index) {
      nodes[index] = await spawnServer(nodeEnvs[index]!, new URL(nodes[index]!.url).port);
    },
    stop,
  };
}

/** The promise under test: a change made on one node is applied by every node within this. */
export const PROPAGATION_MS = 1000;

/**
 * Long enough that only the Redis notice, not the polls that stay as the safety net, can make
 * a change visible within PROPAGATION_MS (blocks are polled every 5 s).
 */
export const SLOW_POLLS = { GUESTPASS_CLIENT_CACHE_TTL: '120', GUESTPASS_KEY_REFRESH_INTERVAL: '600' };

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One JSON request to a node or the proxy, its body parsed (empty for an empty answer). */
export async function call(
  base: string,
  method: string,
  path: string,
  { headers = {}, body }: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

/** Polls `check` on every node until all pass; the milliseconds it took, or fails past `deadlineMs`. */
export async function untilEveryNode(cluster: Cluster, check: (nodeUrl: string) => Promise<boolean>, deadlineMs = 10_000): Promise<number> {
  const started = performance.now();
  const pending = new Set(cluster.nodes.map((node) => node.url));
  while (pending.size > 0) {
    for (const url of [...pending]) if (await check(url)) pending.delete(url);
    if (pending.size > 0 && performance.now() - started > deadlineMs) assert.fail(`${pending.size} node(s) still without the change after ${deadlineMs} ms`);
  }
  return performance.now() - started;
}
