/** Redis for a scale-out deployment: the connections and the change notices between nodes. */
export type { ChangeNotice, RedisChangeFeed } from './changes.js';
export type { RedisClient, RedisConnection } from './connection.js';
