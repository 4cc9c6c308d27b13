import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair } from 'jose';
import type { DatabaseKind } from '../../../test/helpers/databases.js';
import { dpopProof, type ProofKeyPair } from '../../../test/helpers/dpop.js';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';

export const AUDIENCE = 'https://api.shop.test';
export const ORIGIN = 'http://localhost:3000';

export interface GuestTokens {
  access_token: string;
  session_token: string;
  token_type: string;
  user_id: string;
  session_id: string;
}

/**
 * A real Guestpass with the clients an API meets: a public web client whose guests get
 * `cart:write` (and whose registered users would also get `orders:read`) with `currency` mapped
 * from metadata into tokens, and a confidential client the API introspects with.
 */
export interface Issuer {
  server: TestServer;
  issuer: string;
  webClient: string;
  introspection: { clientId: string; clientSecret: string };
  guest(key?: ProofKeyPair): Promise<GuestTokens>;
  refresh(sessionToken: string): Promise<GuestTokens>;
  setMetadata(accessToken: string, patch: Record<string, unknown>): Promise<void>;
  logout(accessToken: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startIssuer(database: DatabaseKind = 'sqlite'): Promise<Issuer> {
  const server = await startTestServer({ database });
  const issuer = server.ctx.issuer.value;
  const web = await server.createClient([
    ...['--name', 'shop', '--type', 'public', '--origin', ORIGIN, '--audience', AUDIENCE],
    ...['--scope', 'cart:write', '--scope', 'orders:read', '--guest-scope', 'cart:write', '--user-scope', 'cart:write', '--user-scope', 'orders:read'],
    ...['--guest-settings', JSON.stringify({ claims_mapping: [{ claim: 'currency', path: 'currency' }] })],
  ]);
  const api = await server.createClient(['--name', 'shop-api', '--type', 'confidential']);
  const post = async (path: string, init: RequestInit): Promise<GuestTokens> => {
    const response = await fetch(`${issuer}${path}`, { method: 'POST', ...init });
    const body = (await response.json()) as GuestTokens;
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return body;
  };
  return {
    server,
    issuer,
    webClient: web.client_id,
    introspection: { clientId: api.client_id, clientSecret: api.client_secret! },
    async guest(key) {
      const url = `${issuer}/anonymous/token`;
      const dpop: Record<string, string> = key ? { dpop: await dpopProof(key, 'POST', url) } : {};
      return post('/anonymous/token', {
        headers: { 'content-type': 'application/json', origin: ORIGIN, ...dpop },
        body: JSON.stringify({ client_id: web.client_id }),
      });
    },
    refresh: (sessionToken) =>
      post('/oauth/token', { body: new URLSearchParams({ grant_type: 'refresh_token', client_id: web.client_id, refresh_token: sessionToken }) }),
    async setMetadata(accessToken, patch) {
      const response = await fetch(`${issuer}/anonymous/session/metadata`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify(patch),
      });
      if (!response.ok) throw new Error(`metadata answered ${response.status}: ${await response.text()}`);
    },
    async logout(accessToken) {
      const response = await fetch(`${issuer}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
      if (!response.ok) throw new Error(`logout answered ${response.status}: ${await response.text()}`);
    },
    stop: () => server.stop(),
  };
}

export const newKey = (): Promise<ProofKeyPair> => generateKeyPair('ES256');
export { dpopProof };

/** Serves the issuer's JWKS through a counter, so a test sees how often the middleware fetches it. */
export async function countingJwks(issuer: string): Promise<{ uri: string; fetches: () => number; close(): Promise<void> }> {
  let fetches = 0;
  const server: Server = createServer(async (_request, response) => {
    fetches += 1;
    const upstream = await fetch(`${issuer}/.well-known/jwks.json`);
    response.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
