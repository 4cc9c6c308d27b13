import type { Metrics } from '../shared/metrics.js';
import { RedisChangeFeed } from './changes.js';
import { RedisConnection } from './connection.js';
import type { RedisConfig } from './options.js';

export interface RedisDeps {
  config: RedisConfig & { databaseSchema: string };
  metrics: Pick<Metrics, 'redisErrors' | 'redisConnected'>;
  logger?: { warn(object: object, message: string): void; info(message: string): void };
}

export interface RedisFeature {
  connection: RedisConnection;
  changes: RedisChangeFeed;
  /** Sends what was published, then closes both connections. */
  close(): Promise<void>;
}

/**
 * Opens the connections when GUESTPASS_REDIS_URL is set; undefined otherwise (one node, memory
 * stores). A Redis that does not answer yet does not stop the node: every use has a fallback.
 */
export async function createRedis({ config, metrics, logger }: RedisDeps): Promise<RedisFeature | undefined> {
  if (config.redisUrl === undefined) return undefined;
  const connection = new RedisConnection({
    url: config.redisUrl,
    prefix: config.redisPrefix ?? `guestpass:${config.databaseSchema}:`,
    metrics,
    onStateChange: (state, error) =>
      state === 'ready'
        ? logger?.info('redis: connected')
        : logger?.warn({ err: error }, 'redis: connection lost; rate limits and DPoP replay checks use their fallbacks'),
  });
  const changes = new RedisChangeFeed(connection);
  if (!(await connection.connect())) logger?.warn({}, 'redis: not reachable at start-up; retrying in the background');
  // Queued by the subscriber connection until it is up.
  void changes.start().catch(() => connection.failed('subscribe'));
  return {
    connection,
    changes,
    close: async () => {
      await changes.flush();
      await connection.close();
    },
  };
}
