import { join } from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
// In an application of your own: '@guestpass/resource-server/express'.
import { guestpassExpress, requireScopesExpress } from '../../../packages/resource-server/src/express.js';
import { PRODUCTS } from './catalogue.js';
import { readOrderRequest, ShopError } from './order-request.js';
import type { OrderStore } from './orders.js';
import { SHOP_AUDIENCE } from './guestpass-clients.js';

export interface ShopOptions {
  /** Guestpass's issuer URL. */
  issuer: string;
  /** The shop's public client (the pages use it through @guestpass/web). */
  clientId: string;
  /** The confidential client the API introspects with. */
  introspection: { clientId: string; clientSecret: string };
  orders: OrderStore;
  /** The browser SDK as one ES module (see sdk-bundle.ts). */
  sdkBundle: string;
  /** The pages. @default examples/shop/public */
  publicDir?: string;
}

/**
 * The shop: static pages, `/sdk.js`, `/config.json`, and an API behind the Guestpass
 * middleware. Reading the catalogue needs no token; `/api/*` below it needs an access token
 * for this API's audience, bound to the page's DPoP key; placing an order also needs
 * `orders:write`, which only registered users get, and is checked against Guestpass by
 * introspection so a logged-out or revoked session cannot order with a token it still holds.
 */
export function createShopApp({
  issuer,
  clientId,
  introspection,
  orders,
  sdkBundle,
  publicDir = join(import.meta.dirname, '..', 'public'),
}: ShopOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_request, response, next) => {
    response.set({
      'content-security-policy': `default-src 'self'; connect-src 'self' ${new URL(issuer).origin}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    next();
  });
  app.get('/config.json', (_request, response) => {
    response.json({ issuer, clientId });
  });
  app.get('/sdk.js', (_request, response) => {
    response.type('text/javascript').send(sdkBundle);
  });
  app.get('/api/products', (_request, response) => {
    response.json({ products: PRODUCTS });
  });

  const api = express.Router();
  api.use(guestpassExpress({ issuer, audience: SHOP_AUDIENCE, introspection: { ...introspection, cacheTtl: 10 } }));
  api.get('/me', (request, response) => {
    const { sub, is_anonymous, scopes } = request.guestpass!;
    response.json({ user_id: sub, is_anonymous, scopes });
  });
  api.get('/orders', (request, response) => {
    response.json({ orders: orders.listFor(request.guestpass!.sub) });
  });
  api.post('/orders', requireScopesExpress('orders:write'), express.json({ limit: '16kb' }), (request, response) => {
    const order = orders.place(request.guestpass!.sub, readOrderRequest(request.body));
    response.status(201).json(order);
  });
  app.use('/api', api);

  app.use(express.static(publicDir, { index: 'index.html' }));
  app.use('/api', (_request, response) => {
    response.status(404).json({ error: 'not_found', error_description: 'No such API route; the shop has /api/products, /api/me and /api/orders.' });
  });
  const onError: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
    if (error instanceof ShopError) return void response.status(error.status).json(error.toJSON());
    const status = (error as { status?: number }).status;
    // express.json's own refusals (too large, not JSON) carry a 4xx status.
    if (status && status >= 400 && status < 500) {
      return void response.status(status).json({ error: 'invalid_request', error_description: 'Send a JSON body of at most 16 KiB.' });
    }
    response.status(500).json({ error: 'server_error', error_description: 'The shop could not complete the request; try again.' });
  };
  app.use(onError);
  return app;
}
