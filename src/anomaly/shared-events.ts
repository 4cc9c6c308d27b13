import { randomUUID } from 'node:crypto';
import type { RedisClient, RedisConnection } from '../redis/index.js';
import type { Metrics } from '../shared/metrics.js';
import type { DetectionInput, Finding } from './types.js';

/**
 * Roughly how many events the stream keeps (XADD MAXLEN ~): a node that lost Redis for a
 * while resumes where it stopped if it is still there, and memory stays bounded (~30 MB).
 */
const STREAM_MAX_LENGTH = 100_000;
/** How long one XREAD waits for new entries; also how long `stop` may take. */
const READ_BLOCK_MS = 1000;
const READ_COUNT = 1000;
/** After a failed read, the next attempt (the connection reconnects on its own meanwhile). */
const RETRY_MS = 1000;
/** A claimed alert stays claimed longer than any alert window lasts. */
const CLAIM_TTL_MS = 2 * 24 * 3600 * 1000;

export interface SharedDetectionOptions {
  redis: RedisConnection;
  metrics?: Pick<Metrics, 'anomalyGlobal' | 'anomalySharedEvents'> | undefined;
  onError: (error: unknown, what: string) => void;
}

/**
 * Detection over every node's traffic. Each node appends the domain events it emits to one
 * Redis Stream (`PREFIX detect:events`) and reads every other node's from it, so each node's
 * engine sees the whole cluster's events: its own inline, the others' within milliseconds.
 * Every engine then reaches the same findings; the first node to claim a finding (SET NX on
 * its detector, entity and window) raises the alert and applies the containment; the others
 * hold its block in memory meanwhile (ContainmentService.applyProvisional) until the stored
 * one reaches them through the change notices.
 *
 * When Redis does not answer, publishing is skipped (counted), the reader retries, and a
 * claim that cannot be made is taken: the node detects on its own share, as without Redis.
 */
export class SharedDetectionEvents {
  readonly node = randomUUID();
  private readonly key = 'detect:events';
  private readonly reader: RedisClient;
  private readonly pending = new Set<Promise<unknown>>();
  private running = false;
  private up = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SharedDetectionOptions) {
    // XREAD BLOCK holds its connection: a third one, with a timeout longer than the block.
    this.reader = options.redis.duplicate(READ_BLOCK_MS + 2000);
    this.reader.on('error', () => {});
  }

  /**
   * Starts feeding other nodes' events to `deliver`, from the end of the stream as it is now
   * (or when Redis first answers: a Redis that does not answer yet delays nothing).
   */
  async start(deliver: (input: DetectionInput) => void): Promise<void> {
    this.running = true;
    let from: string | undefined;
    if (this.options.redis.ready) {
      try {
        await this.reader.connect();
        from = await this.newestId();
      } catch {
        // The loop connects and positions itself once Redis answers.
      }
    }
    this.loop = this.read(deliver, from);
  }

  /**
   * Appends one of this node's events, sent at once (before the response that follows it) so
   * that the next request, wherever the balancer sends it, meets a node that has seen it.
   */
  publish(input: DetectionInput): void {
    const { redis, metrics } = this.options;
    if (!redis.ready) {
      metrics?.anomalySharedEvents.inc({ direction: 'dropped' });
      return;
    }
    const sent = redis.commands.xadd(this.key, 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', 'from', this.node, 'event', JSON.stringify(input)).then(
      () => metrics?.anomalySharedEvents.inc({ direction: 'published' }),
      () => {
        redis.failed('detection_publish');
        metrics?.anomalySharedEvents.inc({ direction: 'dropped' });
      },
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /**
   * Whether this node should raise `finding`: true for the first node to ask about its
   * (detector, entity, window), and when Redis does not answer (the alert store still keeps
   * one alert per window, though containment may then be applied by more than one node).
   */
  async claim(finding: Finding): Promise<boolean> {
    const key = `detect:claim:${finding.detector}|${finding.entity.kind}:${finding.entity.id}|${finding.window_start}`;
    try {
      return (await this.options.redis.commands.set(key, this.node, 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
    } catch {
      this.options.redis.failed('detection_claim');
      return true;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled([...this.pending]);
    this.reader.disconnect();
    await this.loop;
  }

  /** The newest entry's id, so that nothing added between two reads is missed (XREAD's `$` would skip it). */
  private async newestId(): Promise<string> {
    const [newest] = await this.reader.xrevrange(this.key, '+', '-', 'COUNT', 1);
    return newest ? newest[0] : '0-0';
  }

  private async read(deliver: (input: DetectionInput) => void, from: string | undefined): Promise<void> {
    let lastId = from;
    while (this.running) {
      try {
        if (this.reader.status === 'wait' || this.reader.status === 'end') await this.reader.connect();
        lastId ??= await this.newestId();
        const reply = (await this.reader.xread('COUNT', READ_COUNT, 'BLOCK', READ_BLOCK_MS, 'STREAMS', this.key, lastId)) as
          | [string, [string, string[]][]][]
          | null;
        this.options.metrics?.anomalyGlobal.set(1);
        this.up = true;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const input = this.parse(fields);
            if (!input) continue;
            this.options.metrics?.anomalySharedEvents.inc({ direction: 'received' });
            try {
              deliver(input);
            } catch (error) {
              this.options.onError(error, 'detecting on another node’s event');
            }
          }
        }
      } catch (error) {
        if (!this.running) break;
        this.lost(error, 'reading other nodes’ events');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
    this.options.metrics?.anomalyGlobal.set(0);
  }

  /** Another node's event, or undefined for this node's own and for anything malformed. */
  private parse(fields: string[]): DetectionInput | undefined {
    const field = (name: string) => {
      const at = fields.indexOf(name);
      return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    };
    const event = field('event');
    if (field('from') === this.node || event === undefined) return undefined;
    try {
      const input = JSON.parse(event) as DetectionInput;
      return typeof input.type === 'string' && typeof input.time === 'number' ? input : undefined;
    } catch {
      return undefined;
    }
  }

  /** Counted every time, reported once per outage: detection is local-only until a read succeeds. */
  private lost(error: unknown, what: string): void {
    this.options.redis.failed('detection_read');
    this.options.metrics?.anomalyGlobal.set(0);
    if (!this.up) return;
    this.up = false;
    this.options.onError(error, `${what} (detection sees this node’s events only until Redis answers)`);
  }
}
