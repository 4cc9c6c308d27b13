import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './connection.js';

/**
 * A change another node must apply now rather than at its next poll. Notices carry ids only:
 * a node that hears one re-reads the database, which stays the source of truth.
 */
export type ChangeNotice =
  | { kind: 'client'; id: string }
  | { kind: 'keys' }
  | { kind: 'blocks' }
  | { kind: 'allow_lists' }
  /** Not sent: raised locally after the subscription was lost, since notices may have been missed meanwhile. */
  | { kind: 'resync' };

const KINDS = new Set(['client', 'keys', 'blocks', 'allow_lists']);

interface Envelope {
  /** The node that published it; it applied the change already and skips its own notices. */
  from: string;
  notice: ChangeNotice;
}

/**
 * Change notices between nodes over one Redis pub/sub channel. Pub/sub delivers at most once,
 * to those connected: the polls each cache already had stay as the safety net, and a node
 * that loses its subscription re-reads everything once it is back (`resync`).
 */
export class RedisChangeFeed {
  readonly node = randomUUID();
  private readonly channel: string;
  private readonly handlers = new Set<(notice: ChangeNotice) => void>();
  private readonly pending = new Set<Promise<unknown>>();
  private subscribedBefore: boolean;

  constructor(private readonly redis: RedisConnection) {
    this.channel = `${redis.prefix}changes`;
    this.subscribedBefore = redis.subscriber.status === 'ready';
    redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const envelope = parse(message);
      if (envelope && envelope.from !== this.node) this.deliver(envelope.notice);
    });
    // ioredis re-subscribes after a reconnect; whatever was published in between is lost.
    redis.subscriber.on('ready', () => {
      if (this.subscribedBefore) this.deliver({ kind: 'resync' });
      this.subscribedBefore = true;
    });
  }

  async start(): Promise<void> {
    await this.redis.subscriber.subscribe(this.channel);
  }

  /** Handlers run for notices from other nodes; an error in one is theirs to report. */
  onNotice(handler: (notice: ChangeNotice) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Publishes after the change is committed; a failure is counted, and the polls catch up. */
  publish(notice: ChangeNotice): void {
    const sent = this.redis.commands
      .publish(this.channel, JSON.stringify({ from: this.node, notice } satisfies Envelope))
      .catch(() => this.redis.failed('publish'));
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  /** Settles once every notice published so far has been sent or has failed (before closing). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private deliver(notice: ChangeNotice): void {
    for (const handler of this.handlers) handler(notice);
  }
}

function parse(message: string): Envelope | undefined {
  try {
    const value = JSON.parse(message) as Partial<Envelope>;
    const notice = value.notice as { kind?: unknown; id?: unknown } | undefined;
    if (typeof value.from !== 'string' || !notice || typeof notice.kind !== 'string' || !KINDS.has(notice.kind)) return undefined;
    if (notice.kind === 'client' && typeof notice.id !== 'string') return undefined;
    return value as Envelope;
  } catch {
    return undefined;
  }
}
