import Fastify from 'fastify';
import { guestpassFastify, requireScopesFastify } from '../src/fastify.js';
import { describeAdapter } from './adapter-cases.js';

describeAdapter('Fastify', async (options) => {
  const app = Fastify();
  await app.register(async (scope) => {
    await scope.register(guestpassFastify, { ...options, optional: true });
    scope.get('/api/products', async (request) => ({ caller: request.guestpass?.sub ?? null }));
  });
  await app.register(async (scope) => {
    await scope.register(guestpassFastify, options);
    scope.get('/api/me', async (request) => {
      const { sub, sid, is_anonymous, scopes, claims } = request.guestpass!;
      return { sub, sid, is_anonymous, scopes, claims };
    });
    scope.get('/api/orders', { preHandler: requireScopesFastify('orders:read') }, async () => ({ orders: [] }));
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
