import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe } from 'node:test';
import { Redis } from 'ioredis';

/** The machine's Redis for tests (never stopped by a test: others share it). */
export function redisUrl(): string {
  return process.env['GUESTPASS_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/** Whether `url` answers PING within a second; tests skip with a plain message when not. */
export async function redisAnswers(url = redisUrl()): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Asked once per test process, when a suite is declared (describe needs to know at once). */
const redisAvailable = await redisAnswers();

/** A key prefix of this run alone, so concurrent runs sharing one Redis never see each other's counts. */
export function uniqueRedisPrefix(label: string): string {
  return `gptest:${label}:${randomBytes(6).toString('hex')}:`;
}

/**
 * A suite against the machine's Redis with a key prefix of its own (dropped afterwards), skipped
 * with a plain message when Redis does not answer. `body` gets the connection once `before` ran.
 */
export function describeWithRedis(name: string, label: string, body: (redis: () => Redis) => void): void {
  describe(name, { skip: redisAvailable ? false : `Redis not reachable at ${redisUrl()}` }, () => {
    const prefix = uniqueRedisPrefix(label);
    let redis: Redis | undefined;
    before(() => {
      redis = new Redis(redisUrl(), { keyPrefix: prefix });
    });
    after(async () => {
      redis?.disconnect();
      await dropRedisPrefix(redisUrl(), prefix);
    });
    body(() => redis!);
  });
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Nothing to clean when it is gone.
  } finally {
    client.disconnect();
  }
}

/** A redis-server of the test's own, on a free port, that the test may stop and restart. */
export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is saved). */
  restart(): Promise<void>;
}

/** Whether a redis-server binary is on the PATH, for the tests that start their own. */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined = await spawnRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    child = undefined;
  };
  return {
    url,
    stop,
    async restart() {
      await stop();
      child = await spawnRedis(port);
    },
  };
}

async function spawnRedis(port: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await redisAnswers(`redis://127.0.0.1:${port}`)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not answer within 5 s');
}

/** A Redis topology a test started for itself: its GUESTPASS_REDIS_URL, and how to stop all of it. */
export interface OwnTopology {
  url: string;
  stop(): Promise<void>;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children
      .filter((child) => child.exitCode === null)
      .map((child) => {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        return exited;
      }),
  );
}

/**
 * A master and one Sentinel watching it (named `gptest`), on free ports: the URL reaches the
 * master only through the Sentinel. A Sentinel rewrites its configuration file, so it gets one
 * of its own in `dir`.
 */
export async function startOwnSentinel(dir: string): Promise<OwnTopology> {
  const masterPort = await freePort();
  const master = await spawnRedis(masterPort);
  const sentinelPort = await freePort();
  const config = join(dir, `sentinel-${sentinelPort}.conf`);
  writeFileSync(config, `port ${sentinelPort}\nbind 127.0.0.1\nsentinel monitor gptest 127.0.0.1 ${masterPort} 1\n`);
  const sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  const children = [master, sentinel];
  const deadline = Date.now() + 5000;
  while (!(await redisAnswers(`redis://127.0.0.1:${sentinelPort}`))) {
    if (sentinel.exitCode !== null || Date.now() > deadline) {
      await stopAll(children);
      throw new Error('redis-server --sentinel did not answer within 5 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis+sentinel://127.0.0.1:${sentinelPort}/gptest`, stop: () => stopAll(children) };
}

/**
 * A Redis Cluster of three masters (no replicas) on free ports, slots spread by redis-cli. Each
 * node also listens on its port + 10000 (the cluster bus), so ports are drawn below 55535.
 */
export async function startOwnRedisCluster(dir: string): Promise<OwnTopology> {
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = await freePort();
    if (port < 55_535 && !ports.includes(port) && (await portIsFree(port + 10_000))) ports.push(port);
  }
  const children = await Promise.all(
    ports.map((port) =>
      spawnRedis(port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--cluster-node-timeout', '5000']),
    ),
  );
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (created.status !== 0) {
    await stopAll(children);
    throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  }
  // Every node must agree that all slots are served before a client's first command.
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    while (!spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok')) {
      if (Date.now() > deadline) {
        await stopAll(children);
        throw new Error('the Redis Cluster did not reach cluster_state:ok within 10 s');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, stop: () => stopAll(children) };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
