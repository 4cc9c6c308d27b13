import { RedisScript, type ScriptRunner } from '../shared/redis-script.js';
import type { RateLimitResult, RateLimitStore } from './limiter.js';

/**
 * MemoryRateLimitStore's sliding-window counter, run inside Redis so that the check and the
 * count are one atomic step for every node. The time is Redis's own (TIME), so nodes whose
 * clocks disagree still share one window. Returns {allowed, remaining, retryAfterSeconds}.
 */
const SLIDING_WINDOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local windowStart = now - (now % windowMs)
local stored = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start = tonumber(stored[1])
local current = tonumber(stored[2]) or 0
local previous = tonumber(stored[3]) or 0
if not start or start <= windowStart - 2 * windowMs then
  start, current, previous = windowStart, 0, 0
elseif start < windowStart then
  if start == windowStart - windowMs then previous = current else previous = 0 end
  start, current = windowStart, 0
end
local estimated = previous * (1 - (now - windowStart) / windowMs) + current
local allowed = estimated + 1 <= limit
if allowed then current = current + 1 end
redis.call('HSET', KEYS[1], 's', start, 'c', current, 'p', previous)
redis.call('PEXPIRE', KEYS[1], 2 * windowMs)
if allowed then return {1, math.max(0, math.floor(limit - estimated - 1)), 0} end
local retry = nil
local room = limit - current - 1
if room >= 0 and previous > 0 then
  local at = start + windowMs * (1 - room / previous)
  if at < start + windowMs then retry = at - now end
end
if not retry then
  local fraction = 0
  if current > 0 then fraction = math.max(0, 1 - (limit - 1) / current) end
  retry = start + windowMs + windowMs * fraction - now
end
return {0, 0, math.max(1, math.ceil(retry / 1000))}
`;
const SCRIPT = new RedisScript(SLIDING_WINDOW);

/**
 * The rate-limit counts of every node, in Redis under `rl:<key>` (ioredis adds the deployment's
 * prefix). A key lives two windows at most. Failures reject: the caller (FallbackRateLimitStore)
 * decides per rule what a limit does without Redis.
 */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly redis: ScriptRunner) {}

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const reply = await SCRIPT.run(this.redis, 1, `rl:${key}`, limit, windowMs);
    const [allowed, remaining, retryAfterSeconds] = reply as [number, number, number];
    return { allowed: allowed === 1, remaining, retryAfterSeconds };
  }
}
