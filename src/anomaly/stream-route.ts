import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { alertView } from './alerts/view.js';
import { blockView } from './containment/view.js';
import { anomalyError } from './error-codes.js';
import type { SecurityChange, SecurityFeed } from './live-feed.js';

/** Streams one node serves at once: each holds a connection and a little memory. */
const MAX_STREAMS = 200;
/** A comment-free `heartbeat` event this often, so the console can tell a quiet stream from a dead one, and proxies keep it open. */
export const HEARTBEAT_MS = 15_000;
/** A client that reads slower than changes arrive is dropped once this much waits for it; EventSource reconnects with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1 << 20;

const StreamQuery = Type.Object(
  {
    since: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,16}$', description: 'Resume from this change time (epoch ms), as the `Last-Event-ID` header does on a reconnection.' }),
    ),
  },
  { additionalProperties: false },
);

function frame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function frameOf(change: SecurityChange): string {
  return change.kind === 'alert' ? frame('alert', alertView(change.alert, false), change.at) : frame('block', blockView(change.block), change.at);
}

/**
 * GET /admin/api/alerts/stream: server-sent events (text/event-stream) for the security page.
 * Events: `ready` once, then `alert` (an alert raised, repeated or given a verdict, as GET
 * /admin/api/alerts shows it) and `block` (a block placed or lifted, `lifted_at` set), each
 * with `id` its change time, and `heartbeat` every 15 s. Each carries the whole row: apply it
 * by id. A reconnection's `Last-Event-ID` resumes where the stream stopped.
 */
export function streamRoute(app: FastifyInstance, feed: SecurityFeed, read: preHandlerHookHandler, now: () => number): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get<{ Querystring: Static<typeof StreamQuery> }>(
    '/admin/api/alerts/stream',
    {
      preHandler: read,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'Live alerts and blocks as server-sent events: alert, block, heartbeat (every 15 s); resumes from Last-Event-ID',
        querystring: StreamQuery,
      },
    },
    async (request, reply) => {
      if (feed.size >= MAX_STREAMS) throw anomalyError('TOO_MANY_STREAMS');
      const lastEventId = request.headers['last-event-id'];
      const resumeFrom = typeof lastEventId === 'string' && /^[0-9]{1,16}$/.test(lastEventId) ? lastEventId : request.query.since;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // Proxies such as nginx would otherwise hold events back.
        'x-accel-buffering': 'no',
      });
      // HEAD (Fastify answers it with this handler) gets the head only: a stream with no body
      // would otherwise stay open until the client gave up.
      if (request.method === 'HEAD') {
        res.end();
        return;
      }
      let ended = false;
      let unsubscribe = () => {};
      const heartbeat = setInterval(() => send(frame('heartbeat', { time: now() })), HEARTBEAT_MS);
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(end);
        res.end();
      };
      function send(text: string): void {
        if (ended) return;
        if (res.writableLength > MAX_BUFFERED_BYTES) end();
        else res.write(text);
      }
      open.add(end);
      request.raw.on('close', end);
      send(`retry: 3000\n\n${frame('ready', { time: now(), time_zone: 'UTC', heartbeat_ms: HEARTBEAT_MS })}`);
      const off = await feed.subscribe((changes) => send(changes.map(frameOf).join('')), resumeFrom === undefined ? undefined : Number(resumeFrom));
      if (ended) off();
      else unsubscribe = off;
    },
  );
}
