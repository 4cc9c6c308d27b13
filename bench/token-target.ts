// One server under load for `npm run bench -- token`, run as a child process by bench/token.ts
// (see bench/target.ts). Only `import type` this module from elsewhere: importing it starts a server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FORM_TYPE, serveTarget, startCeiling, startGuestpass, type Running, type TargetRequest } from './target.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Guestpass with a confidential client, its token limiter on but never refusing. */
async function guestpass(): Promise<Running<TargetRequest>> {
  const { server, close } = await startGuestpass({
    GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '100000000',
    GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: '100000000',
  });
  const { client, clientSecret } = await server.ctx.clients.create({ name: 'bench', type: 'confidential' });
  if (!clientSecret) throw new Error('a confidential client was created without a secret');
  const request: TargetRequest = {
    url: `${server.url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': FORM_TYPE, authorization: basic(client.id, clientSecret) },
    body: 'grant_type=client_credentials',
  };
  return { info: request, close };
}

/**
 * node-oidc-provider issuing the same kind of token: an ES256 RFC 9068 JWT access token via
 * client_credentials and client_secret_basic. JWT access tokens are not written to the adapter
 * (only opaque ones are), so the default in-memory adapter does not flatter it.
 */
async function oidcProvider(): Promise<Running<TargetRequest>> {
  // Imported here, not at the top: it prints an unsupported-runtime warning on Node 20 when loaded.
  const { default: Provider } = await import('oidc-provider');
  const resource = 'https://api.bench.example/';
  const secret = randomBytes(32).toString('base64url');
  const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'ES256' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
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
    headers: { 'content-type': FORM_TYPE, authorization: basic('bench', secret) },
    body: 'grant_type=client_credentials',
  };
  return { info: request, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const starters = {
  ceiling: () => startCeiling('{"grant_type":"client_credentials"}'),
  guestpass,
  'oidc-provider': oidcProvider,
} satisfies Record<string, () => Promise<Running<TargetRequest>>>;
export type TargetName = keyof typeof starters;

await serveTarget(starters);
