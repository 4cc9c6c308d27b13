import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import { AjvCompiler } from '@fastify/ajv-compiler';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AppContext } from './context.js';
import { installErrorHandlers, preRoutingErrorOptions } from './error-handler.js';
import { registerJsonParsers } from '../shared/json-body.js';
import { enforceDeclaredMediaTypes } from './declared-media-types.js';
import { loggerOptions } from './logger.js';
import { opsRoutes } from './ops-routes.js';
import { refuseOversizeBodiesReadably } from './oversize-body.js';
import { answerDuringShutdown } from './shutdown.js';
import { connectionTimeouts } from './timeouts.js';

/** Fastify's trustProxy from GUESTPASS_TRUSTED_PROXIES: a hop count, a list, or nobody. */
function trustProxy(setting: string[] | number): FastifyServerOptions['trustProxy'] {
  // Trust the first `setting` hops counting from the socket (proxy-addr's hop index).
  if (typeof setting === 'number') return setting > 0 ? (_address: string, hop: number) => hop < setting : false;
  return setting.length > 0 ? setting : false;
}

export interface BuildAppOptions {
  /** Replaces the pino logger settings (tests pass `false`). */
  logger?: FastifyServerOptions['logger'];
}

/**
 * One validator compiler for every app this process builds: Fastify's default makes one per
 * instance, which compiles every route schema again (a few hundred ms of CPU per start). Ajv
 * caches a compiled schema by the schema object, and the routes' schemas are module constants,
 * so a second app in the same process (tests start hundreds) reuses them. A server process
 * builds one app, for which nothing changes.
 */
const sharedValidatorCompiler = AjvCompiler();

/** Builds the HTTP application from the features. Routes only; no listening. */
export async function buildApp(ctx: AppContext, { logger }: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? loggerOptions(ctx.config.logLevel),
    bodyLimit: ctx.config.bodyLimit,
    trustProxy: trustProxy(ctx.config.trustedProxies),
    // Schemas are the contract: unknown fields fail instead of being silently removed, and
    // values are not coerced from one type to another.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator: sharedValidatorCompiler } },
    ...connectionTimeouts(ctx.config),
    // Requests that arrive while the server stops are answered by answerDuringShutdown instead.
    return503OnClosing: false,
    ...preRoutingErrorOptions(ctx),
  });
  // Only JSON and form bodies are accepted. Fastify's built-in text/plain parser would turn a
  // mislabelled body into a string and a confusing schema error instead of 415.
  app.removeContentTypeParser('text/plain');
  registerJsonParsers(app, { maxDepth: ctx.config.jsonMaxDepth });
  enforceDeclaredMediaTypes(app);
  refuseOversizeBodiesReadably(app);

  installErrorHandlers(app, ctx);
  // Callback-style hooks: they run on every request, and an async hook costs a promise each.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    done();
  });
  answerDuringShutdown(app);
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    done();
  });

  await app.register(formbody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Guestpass', version: '0.1.0', description: 'OAuth 2.0 identities for guests. Every error is an RFC 6749 error object.' },
      servers: [{ url: ctx.issuer.value }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          // The console's session cookie (operators/cookie.ts; __Secure-gp_console behind https).
          console: { type: 'apiKey', in: 'cookie', name: 'gp_console' },
        },
      },
    },
  });

  const { features } = ctx;
  // Before any admin route: the start-up check that each one uses requireAdmin, and the write log.
  features.operators.install(app);
  await features.clients.cors(app);
  // First among the features: its containment hooks guard every route registered after it.
  await features.anomaly.routes(app);
  await opsRoutes(app, ctx);
  await features.oauth.routes(app);
  await features.operators.routes(app);
  await features.clients.routes(app);
  await features.sessions.routes(app);
  await features.accounts.routes(app);
  await features.telemetry.routes(app);
  await features.stats.routes(app);
  await features.audit.routes(app);
  await features.webhooks.routes(app);
  await features.devices.routes(app);
  await features.consoleUi.routes(app);
  return app;
}
