import { option, type OptionValues } from '../config/option.js';
import { parseRedisUrl } from './url.js';

/** Options of the Redis connection (collected with the others in app/config.ts). */
export const redisOptions = {
  redisUrl: option<string>({
    env: 'GUESTPASS_REDIS_URL',
    default: undefined,
    defaultDoc: 'none: one node, everything in memory',
    doc: 'Redis 7 or Valkey shared by every node: `redis://[:password@]host:6379/0` for one server, `redis+sentinel://[:password@]h1:26379,h2:26379/MASTER[/db][?sentinel_password=…]` through Sentinel, `redis+cluster://[:password@]h1:6379,h2:6379` for a Redis Cluster (`rediss…` for TLS on each). Rate limits, the DPoP replay cache, change notices (clients, keys, blocks, allow-lists) and the events detection counts become global. Without it each node keeps them in memory, which is right for one node only.',
    parse: (raw) => {
      parseRedisUrl(raw);
      return raw;
    },
  }),
  redisPrefix: option<string>({
    env: 'GUESTPASS_REDIS_PREFIX',
    default: undefined,
    defaultDoc: 'guestpass:SCHEMA:',
    doc: 'Prefix of every Redis key and of the notice channel, so that several deployments (or PostgreSQL schemas) can share one Redis without seeing each other’s counts.',
    parse: (raw) => {
      if (!/^[\w:.-]{1,100}$/.test(raw)) throw new Error('must be 1 to 100 letters, digits or _ : . -');
      return raw;
    },
  }),
} as const;

/** The values of the Redis options, as the server's configuration holds them. */
export type RedisConfig = OptionValues<typeof redisOptions>;
