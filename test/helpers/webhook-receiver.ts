import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  /** The request's path and query: tells endpoints sharing a receiver apart. */
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** What the receiver answers a request with: a status, or `hang` (never answers). */
export type Answer = number | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1: records every request, answers as told, can go down and
 * come back on the same port, and verifies signatures with the standardwebhooks package, as an
 * application would.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Decides each answer; 204 unless a test says otherwise. */
  answer: (request: ReceivedWebhook) => Answer = () => 204;
  private server: Server | undefined;
  private port = 0;
  private readonly waiters = new Set<() => void>();
  private readonly hanging = new Set<ServerResponse>();

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => String(request.headers[name] ?? '');
        const received: ReceivedWebhook = {
          path: request.url ?? '',
          id: header('webhook-id'),
          timestamp: header('webhook-timestamp'),
          signature: header('webhook-signature'),
          headers: request.headers,
          body,
          payload: JSON.parse(body) as ReceivedWebhook['payload'],
        };
        this.received.push(received);
        for (const waiter of this.waiters) waiter();
        const answer = this.answer(received);
        if (answer === 'hang') {
          this.hanging.add(response);
          return;
        }
        response.statusCode = answer;
        response.end(answer >= 300 ? 'receiver says no' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening (connections refused) and drops every open connection; the port is kept for start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `predicate` holds for what was received; rejects after `timeoutMs` (a hang, not a pace). */
  waitFor(predicate: (received: readonly ReceivedWebhook[]) => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.received)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `the receiver did not get what was expected within ${timeoutMs} ms; it got ${this.received.length}: ${this.received.map((r) => r.payload.type).join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Verifies one delivery with `secret` the way the standardwebhooks package does; throws if it does not verify. */
  static verify(secret: string, received: ReceivedWebhook): unknown {
    return new Webhook(secret).verify(received.body, {
      'webhook-id': received.id,
      'webhook-timestamp': received.timestamp,
      'webhook-signature': received.signature,
    });
  }
}
