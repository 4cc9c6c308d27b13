// `npm run bench -- anonymous`: guest sessions over HTTP on 127.0.0.1, each server in its own
// child process (bench/anonymous-target.ts), loaded by autocannon from this one:
//   ceiling            a bare Fastify JSON echo: what this machine's HTTP stack can do at all
//   guestpass-create   POST /anonymous/token from a public client, SQLite, limiters on
//   guestpass-create-public
//                      the same from 5 million public addresses (X-Forwarded-For, one trusted
//                      hop): loopback is exempt from detection, so this is the creation that
//                      pays for geolocation, the detectors and their state, as on the internet
//   guestpass-refresh  POST /oauth/token grant_type=refresh_token: every refresh rotates the
//                      session token, so each connection cycles through its own sessions, sending
//                      each one's latest refresh_token (a replay would be token reuse)
//   guestpass-metadata PATCH /anonymous/session/metadata (a JSON Merge Patch), one guest
//                      session per connection, its access token as the Bearer credential
//   better-auth        better-auth's anonymous plugin, POST /api/auth/sign-in/anonymous
//   guestpass-create-pg, guestpass-refresh-pg, guestpass-metadata-pg
//                      the same three on PostgreSQL, side by side with SQLite, when
//                      BENCH_POSTGRES_URL names a server (each run in a schema of its own)
// Settings as for every HTTP bench: see bench/harness.ts.
import { fileURLToPath } from 'node:url';
import type { AnonymousTarget, AnonymousTargetName } from './anonymous-target.js';
import {
  type BenchRow,
  CONNECTIONS,
  checkFailures,
  measureAll,
  printAim,
  printPreamble,
  printTable,
  rowOf,
  selectTargets,
  shareOfCeiling,
  startTarget,
  timesPeer,
  type Load,
  type Target,
} from './harness.js';
import { publicAddressOf } from './anomaly-load.js';
import { BENCH_POSTGRES_URL, type TargetRequest } from './target.js';

const TARGET_SCRIPT = fileURLToPath(new URL('./anonymous-target.ts', import.meta.url));

const TARGETS = selectTargets<{ name: AnonymousTargetName; label: string }>([
  { name: 'ceiling', label: 'Fastify JSON echo (ceiling)' },
  { name: 'guestpass-create', label: 'Guestpass guest-session creation' },
  { name: 'guestpass-create-public', label: 'Guestpass guest-session creation (public addresses)' },
  { name: 'guestpass-refresh', label: 'Guestpass refresh (rotating)' },
  { name: 'guestpass-metadata', label: 'Guestpass metadata write' },
  { name: 'better-auth', label: 'better-auth anonymous sign-in' },
  ...(BENCH_POSTGRES_URL
    ? [
        { name: 'guestpass-create-pg' as const, label: 'Guestpass guest-session creation (PostgreSQL)' },
        { name: 'guestpass-refresh-pg' as const, label: 'Guestpass refresh (rotating, PostgreSQL)' },
        { name: 'guestpass-metadata-pg' as const, label: 'Guestpass metadata write (PostgreSQL)' },
      ]
    : []),
]);

interface Sent {
  body: Record<string, unknown>;
  headers: Headers;
}

async function send({ url, method, headers, body }: TargetRequest, name: string): Promise<Sent> {
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${name}: expected 200 from ${url}, got ${response.status}: ${text.slice(0, 500)}`);
  return { body: JSON.parse(text) as Record<string, unknown>, headers: response.headers };
}

function expectString(name: string, body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new Error(`${name}: 200 without ${field}: ${JSON.stringify(body).slice(0, 500)}`);
  return value;
}

/** Opens one guest session on the refresh target and returns its session token. */
async function openSession({ open }: AnonymousTarget): Promise<string> {
  if (!open) throw new Error('guestpass-refresh: the target sent no session-creation request');
  const { body } = await send(open, 'guestpass-refresh (opening a session)');
  return expectString('guestpass-refresh', body, 'session_token');
}

const withAddress = (request: TargetRequest, address: string): TargetRequest => ({ ...request, headers: { ...request.headers, 'x-forwarded-for': address } });

const withToken = (request: TargetRequest, token: string) => `${request.body}&refresh_token=${encodeURIComponent(token)}`;

/**
 * Sessions each connection refreshes in turn. One session refreshed hundreds of times a
 * minute is a refresh storm, which anomaly detection throttles (429) as it should; real
 * refresh traffic is many sessions refreshing rarely. 100 sessions a connection keep every
 * session under the storm floor (10 a minute) up to ~4,500 refreshes/s over a 10 s run.
 */
const SESSIONS_PER_CONNECTION = 100;

/**
 * Refresh load: fresh sessions, a pool per connection, and each refresh sends the
 * refresh_token of that session's previous response. autocannon resets a request's `context`
 * after every response when there is one request in the list, so the pool lives in a closure.
 */
async function refreshLoad(info: AnonymousTarget): Promise<Load> {
  const tokens: string[] = [];
  // A few at a time: opening thousands at once would only measure the queue.
  for (let opened = 0; opened < CONNECTIONS * SESSIONS_PER_CONNECTION; opened += CONNECTIONS)
    tokens.push(...(await Promise.all(Array.from({ length: CONNECTIONS }, () => openSession(info)))));
  const { request } = info;
  const { url, method, headers } = request;
  return {
    url,
    method,
    headers,
    setupClient(client) {
      const pool = tokens.splice(0, SESSIONS_PER_CONNECTION);
      let next = 0;
      let current = 0;
      client.setRequests([
        {
          setupRequest: (template) => {
            current = next;
            next = (next + 1) % pool.length;
            return { ...template, body: withToken(request, pool[current]!) };
          },
          onResponse: (status, body) => {
            // A failed refresh leaves the token as it was; the non-2xx count shows the failure.
            if (status === 200) pool[current] = (JSON.parse(body) as { refresh_token: string }).refresh_token;
          },
        },
      ]);
    },
  };
}

/** Metadata load: one guest session per connection, its access token on every PATCH. */
async function metadataLoad(info: AnonymousTarget): Promise<Load> {
  if (!info.open) throw new Error('guestpass-metadata: the target sent no session-creation request');
  const open = info.open;
  const tokens = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () =>
      expectString('guestpass-metadata', (await send(open, 'guestpass-metadata (opening a session)')).body, 'access_token'),
    ),
  );
  const { url, method, headers, body } = info.request;
  return {
    url,
    method,
    body,
    setupClient(client) {
      const token = tokens.pop() ?? '';
      client.setRequests([{ headers: { ...headers, authorization: `Bearer ${token}` } }]);
    },
  };
}

/** Visitors so far, across the warm-up and the runs: each load goes on where the last stopped. */
let visitor = 0;

/** Creation load from public addresses, a new visitor each request. */
function publicCreationLoad({ request }: AnonymousTarget): Load {
  return {
    ...request,
    setupClient(client) {
      client.setRequests([{ setupRequest: (template) => ({ ...template, headers: { ...template.headers, 'x-forwarded-for': publicAddressOf(visitor++) } }) }]);
    },
  };
}

/** What autocannon sends to a target: the request itself, or a load that varies it. */
function loadOf(name: AnonymousTargetName, info: AnonymousTarget): Load | Promise<Load> {
  switch (name) {
    case 'guestpass-refresh':
    case 'guestpass-refresh-pg':
      return refreshLoad(info);
    case 'guestpass-metadata':
    case 'guestpass-metadata-pg':
      return metadataLoad(info);
    case 'guestpass-create-public':
      return publicCreationLoad(info);
    default:
      return info.request;
  }
}

/** One real request (a chain of two for refresh) first: a benchmark of errors would be worthless. */
async function verify(name: AnonymousTargetName, info: AnonymousTarget): Promise<string> {
  switch (name) {
    case 'ceiling':
      await send(info.request, name);
      return 'echo ok';
    case 'guestpass-create':
    case 'guestpass-create-public':
    case 'guestpass-create-pg': {
      const { body } = await send(name === 'guestpass-create-public' ? withAddress(info.request, publicAddressOf(0)) : info.request, name);
      const accessToken = expectString(name, body, 'access_token');
      expectString(name, body, 'session_token');
      return `access_token (${accessToken.length} characters) and session_token`;
    }
    case 'guestpass-refresh':
    case 'guestpass-refresh-pg': {
      const first = await openSession(info);
      const { body } = await send({ ...info.request, body: withToken(info.request, first) }, name);
      expectString(name, body, 'access_token');
      const next = expectString(name, body, 'refresh_token');
      if (next === first) throw new Error(`${name}: the refresh did not rotate the session token`);
      const again = await send({ ...info.request, body: withToken(info.request, next) }, name);
      expectString(name, again.body, 'refresh_token');
      return 'a session refreshed twice, rotating its token each time';
    }
    case 'guestpass-metadata':
    case 'guestpass-metadata-pg': {
      const { body: opened } = await send(info.open!, name);
      const token = expectString(name, opened, 'access_token');
      const { body } = await send({ ...info.request, headers: { ...info.request.headers, authorization: `Bearer ${token}` } }, name);
      const metadata = body['metadata'] as { theme?: unknown } | undefined;
      if (metadata?.theme !== 'dark') throw new Error(`${name}: the patch was not applied: ${JSON.stringify(body).slice(0, 500)}`);
      return 'metadata patched and returned';
    }
    case 'better-auth': {
      const { body, headers } = await send(info.request, name);
      const token = expectString(name, body, 'token');
      const user = body['user'] as { isAnonymous?: unknown } | undefined;
      if (user?.isAnonymous !== true) throw new Error(`${name}: the user is not anonymous: ${JSON.stringify(body).slice(0, 500)}`);
      if (!headers.getSetCookie().some((cookie) => cookie.includes('session_token='))) throw new Error(`${name}: no session cookie was set`);
      return `session token (${token.length} characters), session cookie, anonymous user`;
    }
  }
}

export async function main(): Promise<BenchRow[]> {
  printPreamble('guest sessions');
  const results = await measureAll(
    TARGETS,
    (name) => startTarget<AnonymousTarget>(TARGET_SCRIPT, name),
    async (name: AnonymousTargetName, { info }: Target<AnonymousTarget>) => ({
      verified: await verify(name, info),
      load: () => loadOf(name, info),
    }),
  );
  printTable(TARGETS, results);

  console.log('');
  printAim('creation / better-auth:', results.get('guestpass-create'), results.get('better-auth'), 20, 'ratio');
  printAim('creation / ceiling:', results.get('guestpass-create'), results.get('ceiling'), 0.5, 'share');
  printAim('refresh / ceiling (SQLite):', results.get('guestpass-refresh'), results.get('ceiling'), 0.3, 'share');
  checkFailures(results);
  const ceiling = results.get('ceiling');
  const row = (path: string, name: AnonymousTargetName, peer: { vsPeer?: string } = {}) =>
    rowOf(path, results.get(name), { ...peer, ...shareOfCeiling(results.get(name), ceiling) });
  return [
    ...row('guest creation', 'guestpass-create', timesPeer(results.get('guestpass-create'), results.get('better-auth'), 'better-auth')),
    ...row('guest creation, public addresses (detection at work)', 'guestpass-create-public'),
    ...row('guest creation (PostgreSQL)', 'guestpass-create-pg'),
    ...row('refresh (rotating)', 'guestpass-refresh'),
    ...row('refresh (rotating, PostgreSQL)', 'guestpass-refresh-pg'),
    ...row('metadata write', 'guestpass-metadata'),
    ...row('metadata write (PostgreSQL)', 'guestpass-metadata-pg'),
  ];
}
