import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { consoleUiError } from './error-codes.js';
import { IMMUTABLE, REVALIDATE, setConsoleHeaders } from './headers.js';

/** A page of the single-page app: one lower-case word or words joined by hyphens. */
const PAGE = /^[a-z][a-z-]{0,39}$/;
/** The admin API's own prefix: its unknown URLs keep the API's JSON 404, never the app. */
const API_SEGMENT = 'api';

export interface ConsoleRoutesOptions {
  /** The built console (index.html, assets/); undefined serves none. */
  directory: string | undefined;
}

/**
 * /admin serves the console's index.html for every page (the app routes in the browser), and
 * /admin/assets/* its hashed files. The folder is read once at start: a console built after
 * the server started is served from the next start.
 */
export async function consoleRoutes(app: FastifyInstance, { directory }: ConsoleRoutesOptions): Promise<void> {
  const indexFile = directory === undefined ? undefined : join(directory, 'index.html');
  const indexHtml = indexFile !== undefined && existsSync(indexFile) ? readFileSync(indexFile) : undefined;

  // Encapsulated, so the CSP and framing headers reach the console's responses only.
  await app.register(async (scope) => {
    scope.addHook('onRequest', (_request, reply, done) => {
      setConsoleHeaders(reply);
      done();
    });

    const sendIndex = async (_request: unknown, reply: FastifyReply) => {
      if (!indexHtml) throw consoleUiError('CONSOLE_NOT_BUILT');
      return reply.header('Cache-Control', REVALIDATE).type('text/html; charset=utf-8').send(indexHtml);
    };

    scope.get('/admin', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/admin/', 301));
    scope.get('/admin/', { schema: { hide: true } }, sendIndex);
    scope.get<{ Params: { page: string } }>('/admin/:page', { schema: { hide: true } }, async (request, reply) => {
      if (request.params.page === API_SEGMENT) return reply.callNotFound();
      if (!PAGE.test(request.params.page)) throw consoleUiError('CONSOLE_PAGE_NOT_FOUND');
      return sendIndex(request, reply);
    });

    if (indexHtml && directory !== undefined) {
      await scope.register(fastifyStatic, {
        root: join(directory, 'assets'),
        prefix: '/admin/assets/',
        decorateReply: false,
        // One route per built file, found once at start (the build is fixed while the server
        // runs): a missing file is the ordinary 404, and the route table names each asset.
        wildcard: false,
        // The .br and .gz copies are sent in place of their file (preCompressed), never by name.
        globIgnore: ['**/*.br', '**/*.gz'],
        index: false,
        list: false,
        dotfiles: 'deny',
        preCompressed: true,
        cacheControl: false,
        setHeaders: (reply) => {
          reply.header('Cache-Control', IMMUTABLE);
        },
      });
    } else {
      scope.get('/admin/assets/:file', { schema: { hide: true } }, async () => {
        throw consoleUiError('CONSOLE_NOT_BUILT');
      });
    }
  });
}
