import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './build.js';
import { createContext, type AppContext } from './context.js';
import { createDevClients, devClientsBanner, type DevClients } from './first-run.js';
import { GuestpassError } from '../shared/errors.js';
import { Metrics } from '../shared/metrics.js';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  /** The address it listens on, e.g. http://127.0.0.1:4455. */
  url: string;
  devClients?: DevClients;
  /** Stops accepting, finishes in-flight requests, then closes the database. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  config: Config;
  logger?: FastifyServerOptions['logger'];
  /** Where the first-run banner goes. @default process.stdout */
  print?: (text: string) => void;
  /** The clock of every service (tests move it instead of sleeping). @default Date.now */
  now?: () => number;
}

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Stops accepting and lets in-flight requests finish, for at most `seconds`
 * (GUESTPASS_SHUTDOWN_TIMEOUT); then closes the connections still open. Node stops enforcing
 * the request timeout once the server closes, so without this a client trickling its body
 * could hold the shutdown for as long as it liked.
 */
async function closeWithin(app: FastifyInstance, seconds: number): Promise<void> {
  const deadline = setTimeout(() => {
    app.log.warn({ seconds }, 'shutdown timeout: closing the connections still open');
    app.server.closeAllConnections();
  }, seconds * 1000);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * The scheduled cull (GUESTPASS_CULL_INTERVAL; 0 = off): each run at the interval ±10%, the
 * first at a random point of the first interval, so that nodes started together drift apart.
 * Another node's run in progress is no failure: it does the same work.
 */
function scheduleCull(app: FastifyInstance, ctx: AppContext): { stop(): Promise<void> } {
  const intervalMs = ctx.config.cullInterval * 1000;
  if (intervalMs === 0) return { stop: async () => {} };
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const next = (delayMs: number) => {
    timer = setTimeout(() => {
      running = ctx.guestCull
        .run({ signal: stopping.signal })
        .then((report) => {
          if (report.users > 0 || Object.values(report.purged).some((count) => count > 0)) {
            app.log.info({ users: report.users, sessions: report.sessions, purged: report.purged, complete: report.complete }, 'stale guests culled');
          }
        })
        .catch((error: unknown) => {
          if (!(error instanceof GuestpassError && error.code === 'CULL_IN_PROGRESS')) app.log.error({ err: error }, 'guest cull failed');
        })
        .finally(() => {
          running = undefined;
          if (!stopping.signal.aborted) next(intervalMs * (0.9 + Math.random() * 0.2));
        });
    }, delayMs);
    timer.unref();
  };
  next(Math.random() * intervalMs);
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

export async function startServer({ config, logger, print = (text) => process.stdout.write(`${text}\n`), now }: StartServerOptions): Promise<RunningServer> {
  // Background work built with the context (event listeners, telemetry and stats flushes, mail)
  // reports failures through the app's logger, which exists only once the app is built: without
  // this they went nowhere.
  let app: FastifyInstance | undefined;
  const backgroundLog = {
    error: (details: object, message?: string) => app?.log.error(details, message),
    warn: (details: object, message?: string) => app?.log.warn(details, message),
    info: (details: object, message?: string) => app?.log.info(details, message),
  };
  const ctx = await createContext({ config, metrics: new Metrics(), logger: backgroundLog, ...(now ? { now } : {}) });
  try {
    app = await buildApp(ctx, logger === undefined ? {} : { logger });
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await ctx.close();
    throw error;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  // Port 0: the derived issuer only now knows its port.
  if (ctx.issuer.value.endsWith(':0')) ctx.issuer.value = ctx.issuer.value.replace(/:0$/, `:${port}`);

  for (const note of ctx.notes.migrationsApplied) app.log.info({ migration: note }, 'migration applied');
  if (ctx.notes.keysCreated.length > 0) app.log.info({ keys: ctx.notes.keysCreated }, 'keys generated');
  if (ctx.notes.masterKeyWarning) app.log.warn(ctx.notes.masterKeyWarning);
  if (ctx.redis?.connectedAtStart === false)
    app.log.warn('redis: not reachable at start-up; retrying in the background, rate limits and DPoP replay checks take their fallbacks meanwhile');
  const { tightened, leftOpen } = ctx.notes.permissions;
  if (tightened.length > 0)
    app.log.warn(
      { paths: tightened },
      'permissions tightened to owner-only (folder 0700, files 0600): an older version left them readable by other local users',
    );
  if (leftOpen.length > 0)
    app.log.warn({ paths: leftOpen }, 'permissions left as they are although other local users can read these: shared, not owned, or read-only');
  app.log.info({ mail: ctx.accounts.describeMailer() }, 'verification and reset mail goes here');

  // Pick up key rotations made by the CLI or another node; purge the expired denylist.
  const keyTimer = setInterval(() => {
    ctx.keyring.refresh().catch((error: unknown) => app.log.error({ err: error }, 'key refresh failed'));
  }, config.keyRefreshInterval * 1000);
  const purgeTimer = setInterval(() => {
    ctx.revocations.purgeExpired(ctx.now()).catch((error: unknown) => app.log.error({ err: error }, 'denylist purge failed'));
    ctx.accounts.purgeExpiredProofs().catch((error: unknown) => app.log.error({ err: error }, 'e-mail proof purge failed'));
    ctx.features.sessions.erasure.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'erased-user denylist purge failed'));
    ctx.anomaly.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'alert and block retention purge failed'));
    ctx.audit.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'audit log retention purge failed'));
    ctx.features.webhooks.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'webhook and outbox retention purge failed'));
    ctx.operators.purgeExpired().catch((error: unknown) => app.log.error({ err: error }, 'console session purge failed'));
  }, PURGE_INTERVAL_MS);
  keyTimer.unref();
  purgeTimer.unref();
  const cull = scheduleCull(app, ctx);

  const devClients = await createDevClients(ctx);
  if (devClients) print(devClientsBanner(ctx.issuer.value, devClients));
  print(`Guestpass listening on ${url} (issuer ${ctx.issuer.value})`);

  let closing: Promise<void> | undefined;
  return {
    app,
    ctx,
    url,
    ...(devClients ? { devClients } : {}),
    close: () =>
      (closing ??= (async () => {
        clearInterval(keyTimer);
        clearInterval(purgeTimer);
        await cull.stop();
        await closeWithin(app, config.shutdownTimeout);
        await ctx.close();
      })()),
  };
}
