import type { Metrics } from '../shared/metrics.js';
import { RedisChangeFeed } from './changes.js';
import { RedisConnection } from './connection.js';
import type { RedisConfig } from './options.js';

export interface RedisDeps {
  config: RedisConfig & { databaseSchema: string };
  metrics: Pick<Metrics, 'redisErrors' | 'redisConnected'>;
  logger?: { warn(details: object, message: string): void; info(details: object, message: string): void };
}

export interface RedisFeature {
  connection: RedisConnection;
  changes: RedisChangeFeed;
  /** Whether Redis answered at start-up (the server logs it; the app's logger does not exist yet). */
  connectedAtStart: boolean;
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
        ? logger?.info({}, 'redis: connected')
        : logger?.warn({ err: error }, 'redis: connection lost; rate limits and DPoP replay checks take their fallbacks until it is back'),
  });
  const changes = new RedisChangeFeed(connection);
  const connectedAtStart = await connection.connect();
  // Queued by the subscriber connection until it is up.
  void changes.start().catch(() => connection.failed('subscribe'));
  return {
    connection,
    changes,
    connectedAtStart,
    close: async () => {
      await changes.flush();
      await connection.close();
    },
  };
}
