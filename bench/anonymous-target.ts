// One server under load for `npm run bench -- anonymous`, run as a child process by
// bench/anonymous.ts (see bench/target.ts). Only `import type` this module from elsewhere:
// importing it starts a server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BenchDatabase,
  FORM_TYPE,
  JSON_TYPE,
  OBSERVE_SIGNUP_FLOODS,
  serveTarget,
  startCeiling,
  startGuestpass,
  type Running,
  type TargetRequest,
  UNTHROTTLED_LIMITS,
} from './target.js';

export interface AnonymousTarget {
  /** The request under load; for refresh, the form without its refresh_token. */
  request: TargetRequest;
  /** Refresh only: the session creation whose token starts each connection's chain. */
  open?: TargetRequest;
}

/**
 * Guestpass with a public client: creation is `request`; refresh and metadata also need `open`
 * (refresh sends its session token, metadata its access token).
 */
async function guestpass(
  mode: 'create' | 'refresh' | 'metadata',
  database: BenchDatabase = 'sqlite',
  env: Record<string, string> = {},
): Promise<Running<AnonymousTarget>> {
  const { server, close } = await startGuestpass({ ...UNTHROTTLED_LIMITS, ...env }, database);
  const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public' });
  const create: TargetRequest = {
    url: `${server.url}/anonymous/token`,
    method: 'POST',
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ client_id: client.id }),
  };
  if (mode === 'create') return { info: { request: create }, close };
  if (mode === 'metadata') {
    // A JSON Merge Patch without If-Match: each write is a read of the row and an update of it.
    const patch: TargetRequest = {
      url: `${server.url}/anonymous/session/metadata`,
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ theme: 'dark', cart: { items: 3 } }),
    };
    return { info: { request: patch, open: create }, close };
  }
  const refresh: TargetRequest = {
    url: `${server.url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': FORM_TYPE },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.id }).toString(),
  };
  return { info: { request: refresh, open: create }, close };
}

/**
 * better-auth's anonymous plugin on better-sqlite3, served by its Node handler. The database
 * is in WAL mode with synchronous=FULL, the durability Guestpass gives (every commit on disk
 * before its answer; Guestpass flushes off the event loop, src/storage/wal-sync.ts);
 * its rate limiter is off, as Guestpass's never refuses here.
 */
async function betterAuth(): Promise<Running<AnonymousTarget>> {
  // Imported here so that the Guestpass targets do not load them.
  const [{ default: Database }, { betterAuth: createAuth }, { anonymous }, { toNodeHandler }, { getMigrations }] = await Promise.all([
    import('better-sqlite3'),
    import('better-auth'),
    import('better-auth/plugins/anonymous'),
    import('better-auth/node'),
    import('better-auth/db/migration'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'better-auth-bench-'));
  const database = new Database(join(dataDir, 'auth.db'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options = {
    database,
    baseURL,
    secret: randomBytes(32).toString('base64url'),
    plugins: [anonymous()],
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  };
  await (await getMigrations(options)).runMigrations();
  server.on('request', toNodeHandler(createAuth(options)));
  const request: TargetRequest = { url: `${baseURL}/api/auth/sign-in/anonymous`, method: 'POST', headers: { 'content-type': JSON_TYPE }, body: '{}' };
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    database.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { info: { request }, close };
}

/** The ceiling, echoing a body the size of a creation request's. */
async function ceiling(): Promise<Running<AnonymousTarget>> {
  const { info, close } = await startCeiling('{"client_id":"cl_0123456789abcdef0123"}');
  return { info: { request: info }, close };
}

const starters = {
  ceiling,
  'guestpass-create': () => guestpass('create'),
  // One trusted hop: the load names each visitor's address in X-Forwarded-For.
  'guestpass-create-public': () => guestpass('create', 'sqlite', { GUESTPASS_TRUSTED_PROXIES: '1', ...OBSERVE_SIGNUP_FLOODS }),
  'guestpass-refresh': () => guestpass('refresh'),
  'guestpass-create-pg': () => guestpass('create', 'postgres'),
  'guestpass-refresh-pg': () => guestpass('refresh', 'postgres'),
  'guestpass-metadata': () => guestpass('metadata'),
  'guestpass-metadata-pg': () => guestpass('metadata', 'postgres'),
  'better-auth': betterAuth,
} satisfies Record<string, () => Promise<Running<AnonymousTarget>>>;
export type AnonymousTargetName = keyof typeof starters;

await serveTarget(starters);
