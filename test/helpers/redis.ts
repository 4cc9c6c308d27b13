import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await redisAnswers(`redis://127.0.0.1:${port}`)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not answer within 5 s');
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
