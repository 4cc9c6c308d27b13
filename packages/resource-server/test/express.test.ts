import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { guestpassExpress, requireScopesExpress } from '../src/express.js';
import { describeAdapter } from './adapter-cases.js';

describeAdapter('Express', async (options) => {
  const app = express();
  app.get('/api/products', guestpassExpress({ ...options, optional: true }), (request, response) => {
    response.json({ caller: request.guestpass?.sub ?? null });
  });
  const api = express.Router();
  api.use(guestpassExpress(options));
  api.get('/me', (request, response) => {
    const { sub, sid, is_anonymous, scopes, claims } = request.guestpass!;
    response.json({ sub, sid, is_anonymous, scopes, claims });
  });
  api.get('/orders', requireScopesExpress('orders:read'), (_request, response) => {
    response.json({ orders: [] });
  });
  app.use('/api', api);
  const server = createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
