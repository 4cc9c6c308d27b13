import { Agent, createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';

export interface Proxy {
  url: string;
  setTargets(urls: string[]): void;
  close(): Promise<void>;
}

/**
 * Headers of one connection (RFC 9110 §7.6.1), not of the message: each leg has its own. The node
 * says `Keep-Alive: timeout=72`; passed on to the test's client, that client kept an idle socket
 * to the proxy for up to 70 s (fetch) or 5 s (Node's agent) while the proxy closed idle sockets
 * after 1 s, and a request sent as the proxy closed was reset, more often on a loaded machine,
 * whose timers fire late.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept = { ...headers };
  for (const name of HOP_BY_HOP) delete kept[name];
  return kept;
}

/**
 * The proxy's idle keep-alive towards the test's clients, announced in `Keep-Alive: timeout`:
 * fetch keeps an idle socket for the announced time less a second or two, Node's agent for 5 s
 * or that time less a second, so the client always closes an idle socket first and never sends
 * on one the proxy is closing.
 */
const CLIENT_KEEP_ALIVE_MS = 10_000;

/**
 * Towards the nodes: kept-alive sockets, idle for at most this long, far below a node's own
 * idle timeout (GUESTPASS_KEEP_ALIVE_TIMEOUT, 72 s; a node that announces a shorter one gets
 * a second less than it says), so the proxy closes first here too.
 */
const NODE_SOCKET_IDLE_MS = 2000;

/**
 * Round robin over the nodes, as a load balancer with health checks in front of them: it
 * forwards the request as it came (but for the headers of the connection) and sets
 * X-Forwarded-For to the client's address (the one a test names in its own X-Forwarded-For,
 * standing for an address on the internet, or the socket's). A node that refuses the
 * connection never saw the request: the request goes to the next node and the refusing one
 * leaves the rotation until its /healthz answers 200 (asked every 100 ms), as nginx's
 * `proxy_next_upstream error` with an active health check would do. Any other failure (a reset
 * or a hang-up once the request was sent) may come after the node applied it, so the request
 * is not sent again: the answer is 502 with `x-proxy-error` (the error code) and `x-served-by`.
 */
export async function startProxy(): Promise<Proxy> {
  const agent = new Agent({ keepAlive: true, timeout: NODE_SOCKET_IDLE_MS });
  let targets: string[] = [];
  let turn = 0;
  let closed = false;
  const down = new Set<string>();
  const probes = new Set<NodeJS.Timeout>();
  const takeOut = (target: string) => {
    if (down.has(target)) return;
    down.add(target);
    const probeLater = () => {
      if (closed) return;
      const timer = setTimeout(() => {
        probes.delete(timer);
        const check = httpRequest(`${target}/healthz`, { agent: false }, (answer) => {
          answer.resume();
          if (answer.statusCode === 200) down.delete(target);
          else probeLater();
        });
        check.on('error', probeLater);
        check.end();
      }, 100);
      probes.add(timer);
    };
    probeLater();
  };
  /** The next node in turn that is in the rotation. */
  const nextTarget = (): string | undefined => {
    for (let step = 0; step < targets.length; step++) {
      const target = targets[turn++ % targets.length]!;
      if (!down.has(target)) return target;
    }
    return undefined;
  };
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const client = (incoming.headers['x-forwarded-for'] as string | undefined)?.split(',')[0]?.trim() || incoming.socket.remoteAddress || '';
      const forward = (attempt: number) => {
        const next = attempt < targets.length ? nextTarget() : undefined;
        if (!next) {
          outgoing.writeHead(503, { 'x-proxy-error': 'no node in rotation' }).end();
          return;
        }
        const target = new URL(next);
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: { ...endToEnd(incoming.headers), 'x-forwarded-for': client },
            agent,
          },
          (answer) => {
            // Buffered whole before the client gets a byte (nginx's proxy_buffering): a node that
            // dies mid-answer is then a 502 that names it, not a cut connection that names nobody.
            const parts: Buffer[] = [];
            answer.on('data', (part: Buffer) => parts.push(part));
            answer.on('end', () => {
              if (replied || !answer.complete) return;
              replied = true;
              outgoing.writeHead(answer.statusCode ?? 502, { ...endToEnd(answer.headers), 'x-served-by': target.port }).end(Buffer.concat(parts));
            });
            answer.on('close', () => {
              if (replied) return;
              takeOut(next);
              failed('ECONNRESET');
            });
          },
        );
        let replied = false;
        const failed = (code: string) => {
          if (replied) return;
          replied = true;
          outgoing.writeHead(502, { 'x-served-by': target.port, 'x-proxy-error': code }).end();
        };
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          // Any connection error takes the node out until its health check answers (nginx's
          // max_fails, a passive check): otherwise each idle kept-alive socket to a dead node
          // would fail one more request.
          takeOut(next);
          if (error.code === 'ECONNREFUSED' && !replied) forward(attempt + 1);
          else failed(error.code ?? 'error');
        });
        upstream.end(body);
      };
      forward(0);
    });
  });
  server.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    setTargets: (urls) => {
      targets = urls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const timer of probes) clearTimeout(timer);
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
