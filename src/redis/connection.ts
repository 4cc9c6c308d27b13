import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Metrics } from '../shared/metrics.js';
import { parseRedisUrl, type RedisTarget } from './url.js';

/** A connection to one Redis server (alone or found through Sentinel) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * A request never waits on Redis for longer than this: a hung Redis must cost a node its
 * fallbacks (documented per limiter), not its latency.
 */
const COMMAND_TIMEOUT_MS = 500;
/** Reconnection back-off: fast at first (a restart), then every 2 s. */
const MAX_RECONNECT_DELAY_MS = 2000;

export interface RedisConnectionOptions {
  url: string;
  /** Prefix of every key and of the notice channel. */
  prefix: string;
  metrics: Pick<Metrics, 'redisErrors' | 'redisConnected'>;
  /** Connection changes, for the log (never with the URL: it may hold a password). */
  onStateChange?: (state: 'ready' | 'lost', error?: unknown) => void;
}

/**
 * The two connections a node holds: one for commands and one in subscriber mode (a Redis
 * connection that subscribes can send nothing else). Both reconnect on their own for ever.
 */
export class RedisConnection {
  /** Commands; keys are prefixed by ioredis (`keyPrefix`), Lua scripts' KEYS included. */
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  readonly prefix: string;
  private readonly metrics: RedisConnectionOptions['metrics'];

  constructor({ url, prefix, metrics, onStateChange }: RedisConnectionOptions) {
    this.prefix = prefix;
    this.metrics = metrics;
    const common: RedisOptions = {
      lazyConnect: true,
      // Fail at once while disconnected instead of queueing: the callers have fallbacks.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    };
    const target = parseRedisUrl(url);
    this.commands = openClient(target, { ...common, keyPrefix: prefix, commandTimeout: COMMAND_TIMEOUT_MS });
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after a reconnect.
    this.subscriber = openClient(target, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    metrics.redisConnected.set(0);
    // One log line per change of state, not one per reconnection attempt.
    let up = false;
    let lastError: unknown;
    this.commands.on('ready', () => {
      up = true;
      metrics.redisConnected.set(1);
      onStateChange?.('ready');
    });
    this.commands.on('close', () => {
      metrics.redisConnected.set(0);
      if (!up) return;
      up = false;
      onStateChange?.('lost', lastError);
    });
    this.commands.on('error', (error: unknown) => {
      lastError = error;
      metrics.redisErrors.inc({ operation: 'connection' });
    });
    // ioredis logs unhandled 'error' events to the console; the command side counts them.
    this.subscriber.on('error', () => {});
  }

  /**
   * Connects both, waiting at most `connectTimeout`. A node starts even when Redis does not
   * answer yet: every use has a fallback, and the connections keep retrying.
   */
  async connect(): Promise<boolean> {
    const results = await Promise.allSettled([this.commands.connect(), this.subscriber.connect()]);
    return results.every((result) => result.status === 'fulfilled');
  }

  /**
   * Another command connection to the same Redis (same prefix), for a caller that blocks on
   * reads (XREAD BLOCK) and must not hold up everyone else's commands. Connects on first use.
   */
  duplicate(commandTimeoutMs: number): RedisClient {
    if (this.commands instanceof Cluster) {
      return this.commands.duplicate(undefined, {
        lazyConnect: true,
        redisOptions: { ...this.commands.options.redisOptions, commandTimeout: commandTimeoutMs },
      });
    }
    return this.commands.duplicate({ commandTimeout: commandTimeoutMs, lazyConnect: true });
  }

  get ready(): boolean {
    return this.commands.status === 'ready';
  }

  /** Counts a failed command; the caller then takes its documented fallback. */
  failed(operation: string): void {
    this.metrics.redisErrors.inc({ operation });
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.commands.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // QUIT lets replies in flight arrive; a connection that is down has none and would queue it.
    const quit = (client: RedisClient) => (client.status === 'ready' ? client.quit() : Promise.resolve());
    await Promise.allSettled([quit(this.commands), quit(this.subscriber)]);
    this.commands.disconnect();
    this.subscriber.disconnect();
    this.metrics.redisConnected.set(0);
  }
}

/**
 * One client for the target, with the same behaviour whatever the topology: through Sentinel,
 * ioredis asks the sentinels for the current master and follows a failover; on a Cluster it
 * learns the slots from the seed nodes and follows MOVED/ASK. Keys a script or a transaction
 * uses together must then share a hash slot (telemetry's shared limits tag theirs).
 */
function openClient(target: RedisTarget, options: RedisOptions): RedisClient {
  const auth = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  switch (target.kind) {
    case 'server':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        ...auth,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      });
    case 'cluster': {
      const { keyPrefix, enableOfflineQueue, retryStrategy, lazyConnect, ...nodeOptions } = options;
      return new Cluster(target.nodes, {
        ...(keyPrefix ? { keyPrefix } : {}),
        enableOfflineQueue: enableOfflineQueue ?? true,
        lazyConnect: lazyConnect ?? false,
        clusterRetryStrategy: retryStrategy ? (attempt: number) => retryStrategy(attempt) : null,
        redisOptions: { ...nodeOptions, ...auth },
      });
    }
  }
}
