// One server under load for `npm run bench -- token`, run as a child process by bench/token.ts
// so that the server and autocannon do not share an event loop. Started with the target's name;
// it answers on the IPC channel with the request to send, and stops when the channel closes.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { startServer } from '../src/app/server.js';
import { loadConfig } from '../src/config/index.js';

/** What the parent sends, over and over. */
export interface TargetRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

interface Running {
  request: TargetRequest;
  close(): Promise<void>;
}

const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** The machine's HTTP ceiling: Fastify parsing a small JSON body and echoing it back. */
async function ceiling(): Promise<Running> {
  const app = Fastify({ logger: false });
  app.post('/echo', async (request) => ({ ok: true, echo: request.body }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const request: TargetRequest = { url: `${url}/echo`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' };
  return { request, close: () => app.close() };
}

/** Guestpass as deployed (SQLite, every hook and the rate limiter), only quiet and unthrottled. */
async function guestpass(): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-bench-'));
  const { config } = loadConfig({
    env: {
      GUESTPASS_DATA_DIR: dataDir,
      GUESTPASS_DEV_CLIENTS: 'false',
      GUESTPASS_LOG_LEVEL: 'silent',
      // High enough never to refuse, so the limiter's cost is measured but not its 429s.
      GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '100000000',
      GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: '100000000',
    },
    flags: { port: '0', host: '127.0.0.1' },
  });
  const server = await startServer({ config, logger: false, print: () => {} });
  const { client, clientSecret } = await server.ctx.clients.create({ name: 'bench', type: 'confidential' });
  if (!clientSecret) throw new Error('a confidential client was created without a secret');
  const request: TargetRequest = {
    url: `${server.url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basic(client.id, clientSecret) },
    body: 'grant_type=client_credentials',
  };
  const close = async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { request, close };
}

/**
 * node-oidc-provider issuing the same kind of token: an ES256 RFC 9068 JWT access token via
 * client_credentials and client_secret_basic. JWT access tokens are not written to the adapter
 * (only opaque ones are), so the default in-memory adapter does not flatter it.
 */
async function oidcProvider(): Promise<Running> {
  // Imported here, not at the top: it prints an unsupported-runtime warning on Node 20 when loaded.
  const { default: Provider } = await import('oidc-provider');
  const resource = 'https://api.bench.example/';
  const secret = randomBytes(32).toString('base64url');
  const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'ES256' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'bench', client_secret: secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }],
    jwks: { keys: [jwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    // Guestpass's default access-token lifetime.
    ttl: { ClientCredentials: 900 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        getResourceServerInfo: () => ({ scope: 'api:read', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  });
  server.on('request', provider.callback());
  const request: TargetRequest = {
    url: `${issuer}/token`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basic('bench', secret) },
    body: 'grant_type=client_credentials',
  };
  return { request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const starters = { ceiling, guestpass, 'oidc-provider': oidcProvider } satisfies Record<string, () => Promise<Running>>;
export type TargetName = keyof typeof starters;

// Only `import type` this module from elsewhere: importing it starts a server.
async function main(): Promise<void> {
  const name = process.argv[2];
  const start = name !== undefined && Object.hasOwn(starters, name) ? starters[name as TargetName] : undefined;
  if (!start || !process.send) throw new Error(`run by bench/token.ts with one of: ${Object.keys(starters).join(', ')}`);
  const running = await start();
  process.send(running.request);
  // CPU time on request, so the parent can tell a saturated server from a starved one.
  process.on('message', (message) => {
    if (message === 'cpu-usage') process.send?.(process.cpuUsage());
  });
  // The parent closes the channel when done with us (or dies, which closes it too).
  process.once('disconnect', () => {
    running.close().finally(() => process.exit(0));
  });
}

await main();
