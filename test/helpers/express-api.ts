import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';

export interface ExpressApi {
  url: string;
  close(): Promise<void>;
}

/**
 * A resource server as an Express developer would write it: the auth middleware, one
 * `GET /orders` route, and an error handler that answers the middleware's errors with their
 * status, challenge and code (instead of Express's final handler logging them).
 */
export async function startExpressApi(authMiddleware: RequestHandler, route: RequestHandler): Promise<ExpressApi> {
  const app = express();
  app.use(authMiddleware);
  app.get('/orders', route);
  const onError: ErrorRequestHandler = (error: { status?: number; code?: string; headers?: Record<string, string> }, _request, response, _next) => {
    response
      .status(error.status ?? 500)
      .set(error.headers ?? {})
      .json({ error: error.code || 'unauthorized' });
  };
  app.use(onError);

  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
