import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What running a script needs of a connection (tests pass a stand-in that loses the script cache). */
export type ScriptRunner = Pick<Redis, 'evalsha' | 'eval'>;

/**
 * A Lua script run by its SHA-1, sending the source only when Redis does not know it yet (first
 * use, or after a restart emptied its script cache): one round trip with a short request in the
 * usual case, and the same atomic step either way.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: ScriptRunner, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, numberOfKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return redis.eval(this.source, numberOfKeys, ...args);
    }
  }
}
