import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { LIMITS } from '../../../src/telemetry/event-schema.js';
import { startMailedServer, type MailedServer } from '../accounts.js';
import { builtConsole } from '../console-build.js';
import { describeOnDatabase, type DatabaseKind } from '../databases.js';
import { baselineFor } from './baselines.js';
import type { Kit } from './build.js';
import { CATALOGUE, hostileRequestsFor } from './catalogue.js';
import { prepareFixtures } from './fixtures.js';
import { discoverRoutes, type Route } from './routes.js';
import { describeRequest, HostileClient, problemWith, type HostileRequest } from './send.js';

/**
 * A systematic hostile-input run: every route the server has (read from its own route table,
 * so a new endpoint is covered without touching this file) gets the whole catalogue of
 * malformed requests in test/helpers/hostile/, built from a valid request with real
 * credentials so each case reaches as deep as it can. Every answer must come within
 * TIMEOUT_MS, be below 500, and be an RFC 6749 error object whenever it is an error.
 * fuzz.test.ts sends random requests; bad-input.test.ts checks the exact error of each mistake.
 */
const TIMEOUT_MS = 10_000;
const CONCURRENCY = 8;
/** GUESTPASS_HOSTILE_STATS=1 prints each route's statuses by family, to see how deep the cases reach. */
const STATS = process.env['GUESTPASS_HOSTILE_STATS'] === '1';

/**
 * Every family runs on SQLite. PostgreSQL gets the families whose values reach storage
 * (strings with NUL or lone surrogates, invalid UTF-8, prototype keys, huge strings, odd ids
 * and query values, tokens looked up in the denylist); framing, parsing and header families
 * are answered before any query, the same on both, and would double the run time.
 * GUESTPASS_HOSTILE_FULL=1 sends every family to PostgreSQL too.
 */
const STORAGE_FAMILIES = ['invalidUtf8', 'duplicateKeys', 'prototypeKeys', 'unicode', 'sizes', 'authorization', 'queryStrings', 'paths'];
const FAMILIES: Record<DatabaseKind, readonly string[]> = {
  sqlite: Object.keys(CATALOGUE),
  postgres: process.env['GUESTPASS_HOSTILE_FULL'] === '1' ? Object.keys(CATALOGUE) : STORAGE_FAMILIES,
};

/** Limits that would turn the run into a wall of 429s are lifted, so requests reach the code behind them. */
const UNLIMITED = {
  GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '0',
  GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: '0',
  GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '0',
  GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: '0',
  GUESTPASS_GUEST_RATE_LIMIT_PER_CLIENT: '0',
  GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '1000000',
  GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000000',
  GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION: '0',
  GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_CLIENT: '0',
};

/** Runs `task` over `items` with at most `limit` at a time. */
async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

interface Outcome {
  /** One line per wrong answer: the request, then what was wrong. */
  failures: string[];
  /** Statuses by family, for GUESTPASS_HOSTILE_STATS. */
  statuses: Map<string, Map<number, number>>;
}

/** Sends every request and judges every answer. */
async function sendAll(client: HostileClient, requests: HostileRequest[], htmlPage: boolean): Promise<Outcome> {
  const outcome: Outcome = { failures: [], statuses: new Map() };
  await inPool(requests, CONCURRENCY, async (request) => {
    const problem = await client.send(request).then(
      (response) => {
        const family = request.label.split(':')[0]!;
        const counts = outcome.statuses.get(family) ?? outcome.statuses.set(family, new Map()).get(family)!;
        counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
        return problemWith(request, response, { htmlPage });
      },
      (error: Error) => `no answer: ${error.message}`,
    );
    if (problem) outcome.failures.push(`${describeRequest(request)}\n      → ${problem}`);
  });
  return outcome;
}

/**
 * The run on one database. SQLite's and PostgreSQL's runs are test files of their own
 * (test/hostile-input.test.ts and test/hostile-input-postgres.test.ts), the two longest of
 * the suite, so the runner can run them side by side.
 */
export function describeHostileInput(kind: DatabaseKind): void {
  describeOnDatabase(kind, 'hostile input at every endpoint', (database) => {
    let mailed: MailedServer;
    let client: HostileClient;
    let kit: Kit;
    let routes: Route[];

    before(async () => {
      // The console built from the sources, so its pages and assets are routes like any other.
      mailed = await startMailedServer(database, { ...UNLIMITED, GUESTPASS_CONSOLE_DIR: await builtConsole() });
      const { server } = mailed;
      client = new HostileClient(server.url, TIMEOUT_MS, CONCURRENCY);
      const openApi = (await (await fetch(`${server.url}/docs`)).json()) as Parameters<typeof discoverRoutes>[1];
      routes = discoverRoutes(server.app, openApi);
      // Route-specific limits (alerts 1 KiB, secret rotation 4 KiB, OAuth and admin 64 KiB,
      // sessions 128 KiB, telemetry) and the server's: every route is tried just at and over each.
      const bodyLimits = [1024, 4096, 64 * 1024, 128 * 1024, LIMITS.bodyBytes, server.ctx.config.bodyLimit];
      kit = { fixtures: await prepareFixtures(mailed), bodyLimits, routes };
    });

    after(async () => {
      client?.close();
      await mailed?.stop();
    });

    it('should find the routes in the server route table, every OpenAPI operation among them', () => {
      const names = routes.map((route) => `${route.method} ${route.url}`);
      for (const known of ['POST /oauth/token', 'POST /anonymous/token', 'GET /admin/api/clients/:id', 'POST /v1/events', 'GET /docs'])
        assert.ok(names.includes(known), `${known} is in ${names.join(', ')}`);
    });

    it('should answer every hostile request in time, below 500, with RFC 6749 error objects', async (t) => {
      for (const route of routes) {
        await t.test(`${route.method} ${route.url}`, async (routeTest) => {
          const base = await baselineFor(route, kit.fixtures);
          const requests = await hostileRequestsFor(base, kit, FAMILIES[database]);
          const { failures, statuses } = await sendAll(client, requests, base.htmlPage);
          if (STATS)
            for (const [family, counts] of statuses)
              routeTest.diagnostic(
                `${family}: ${[...counts]
                  .sort(([a], [b]) => a - b)
                  .map(([status, count]) => `${status}×${count}`)
                  .join(' ')}`,
              );
          assert.equal(
            failures.length,
            0,
            `${failures.length} of ${requests.length} hostile requests to ${route.method} ${route.url} were answered wrongly:\n    ${failures.slice(0, 25).join('\n    ')}`,
          );
        });
      }
    });

    it('should leave Object.prototype clean and the server live and ready', async () => {
      const probe: Record<string, unknown> = {};
      for (const key of ['admin', 'is_admin', 'scope', 'polluted']) assert.equal(probe[key], undefined, `Object.prototype.${key} was set by a request`);
      assert.equal((await fetch(`${mailed.server.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${mailed.server.url}/readyz`)).status, 200);
    });
  });
}
