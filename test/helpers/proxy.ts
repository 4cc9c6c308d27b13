import { createServer, request as httpRequest, type Server } from 'node:http';

export interface Proxy {
  url: string;
  setTargets(urls: string[]): void;
  close(): Promise<void>;
}

/**
 * Round robin over the nodes, as a load balancer with health checks in front of them: it
 * forwards the request as it came and sets X-Forwarded-For to the client's address (the one a
 * test names in its own X-Forwarded-For, standing for an address on the internet, or the
 * socket's). A node that refuses the connection never saw the request: the request goes to the
 * next node and the refusing one leaves the rotation until its /healthz answers 200 (asked every
 * 100 ms), as nginx's `proxy_next_upstream error` with an active health check would do. Any
 * other failure (a reset or a hang-up once the request was sent) may come after the node
 * applied it, so the request is not sent again: the answer is 502 with `x-proxy-error` (the
 * error code) and `x-served-by`.
 */
export async function startProxy(): Promise<Proxy> {
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
            headers: { ...incoming.headers, 'x-forwarded-for': client },
          },
          (answer) => {
            // Buffered whole before the client gets a byte (nginx's proxy_buffering): a node that
            // dies mid-answer is then a 502 that names it, not a cut connection that names nobody.
            const parts: Buffer[] = [];
            answer.on('data', (part: Buffer) => parts.push(part));
            answer.on('end', () => {
              if (replied || !answer.complete) return;
              replied = true;
              outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-served-by': target.port }).end(Buffer.concat(parts));
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
  server.keepAliveTimeout = 1000;
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
        server.close(() => resolve());
      }),
  };
}
