import { RedisScript, type ScriptRunner } from '../shared/redis-script.js';

/** One events-per-minute rule: `limit` 0 disables it. */
export interface EventLimitRule {
  key: string;
  limit: number;
}

/** The first rule a batch does not fit, and when a batch of that size would. */
export interface EventLimitRefusal {
  index: number;
  retryAfterSeconds: number;
}

/**
 * Events-per-minute limits shared by every node. `admit` counts the batch against every rule
 * when it fits all of them (and refuses without counting otherwise), atomically; it rejects when
 * the store cannot answer, and the caller falls back to its own node's limiter. Rules go from
 * the narrowest to the broadest (session, then client): every rule of one call is a part of the
 * last one, which is what lets a Redis Cluster keep them in one slot.
 */
export interface SharedEventLimits {
  admit(rules: readonly EventLimitRule[], cost: number): Promise<EventLimitRefusal | undefined>;
}

/**
 * EventLimiter's weighted sliding window (limits.ts), for several keys at once, on Redis's
 * clock. ARGV: cost, window, then each key's limit. Returns {0} or {index (1-based), retry s}.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local windowStart = now - (now % windowMs)
local windows = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 2])
  if limit > 0 then
    local stored = redis.call('HMGET', key, 's', 'c', 'p')
    local start = tonumber(stored[1])
    local current = tonumber(stored[2]) or 0
    local previous = tonumber(stored[3]) or 0
    if not start or start <= windowStart - 2 * windowMs then
      start, current, previous = windowStart, 0, 0
    elseif start < windowStart then
      if start == windowStart - windowMs then previous = current else previous = 0 end
      start, current = windowStart, 0
    end
    if previous * (1 - (now - start) / windowMs) + current + cost > limit then
      local retry = nil
      local room = limit - current - cost
      if room >= 0 and previous > 0 then
        local at = start + windowMs * (1 - room / previous)
        if at < start + windowMs then retry = at - now end
      end
      if not retry then
        local fraction = 0
        if current > 0 then fraction = math.min(1, math.max(0, 1 - (limit - cost) / current)) end
        retry = start + windowMs + windowMs * fraction - now
      end
      return {i, math.max(1, math.ceil(retry / 1000))}
    end
    windows[i] = {start, current, previous}
  end
end
for i, key in ipairs(KEYS) do
  local w = windows[i]
  if w then
    redis.call('HSET', key, 's', w[1], 'c', w[2] + cost, 'p', w[3])
    redis.call('PEXPIRE', key, 2 * windowMs)
  end
end
return {0, 0}
`;
const SCRIPT = new RedisScript(ADMIT);

/**
 * Under `ev:{<broadest key>}:<key>` (ioredis adds the deployment's prefix); a key lives two
 * windows at most. The braces are a Redis Cluster hash tag: a script's keys must share a slot,
 * and every session's key of a client then sits in its client's slot (one Redis without
 * Cluster ignores them).
 */
export class RedisEventLimits implements SharedEventLimits {
  constructor(
    private readonly redis: ScriptRunner,
    private readonly windowMs = 60_000,
  ) {}

  async admit(rules: readonly EventLimitRule[], cost: number): Promise<EventLimitRefusal | undefined> {
    const slot = rules.at(-1)?.key ?? '';
    const args: (string | number)[] = [...rules.map((rule) => `ev:{${slot}}:${rule.key}`), cost, this.windowMs, ...rules.map((rule) => rule.limit)];
    const reply = await SCRIPT.run(this.redis, rules.length, ...args);
    const [index, retryAfterSeconds] = reply as [number, number];
    return index === 0 ? undefined : { index: index - 1, retryAfterSeconds };
  }
}
