// A real OpenID Connect provider (node-oidc-provider) on 127.0.0.1 and an ephemeral port, and a
// relying party (openid-client) that gets genuine ID tokens from it through the authorization-code
// flow over HTTP: no token here is hand-made unless a test asks for one with `sign`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import makeFetchCookie from 'fetch-cookie';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import { GuestpassError } from '../../src/shared/errors.js';
import type { IdTokenErrorCode } from '../../src/accounts/id-token/error-codes.js';

export interface OidcIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>`, with no trailing slash. */
  issuer: string;
  clientId: string;
  /**
   * Signs in as `sub` (creating the account, with `email` or `<sub>@example.test`, verified) and
   * returns the ID token the token endpoint issued, addressed to `clientId`.
   */
  idTokenFor(sub: string, opts?: { nonce?: string; email?: string }): Promise<string>;
  /** Signs arbitrary claims with the issuer's own published key, for claims a real flow cannot produce. */
  sign(claims: JWTPayload): Promise<string>;
  stop(): Promise<void>;
}

/** The parts of node-oidc-provider used here (bench/modules.d.ts types only its constructor). */
interface OidcProvider {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<{ params: Record<string, unknown> }>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: { login: { accountId: string }; consent: { grantId: string } },
  ): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => { addOIDCScope(scope: string): void; save(): Promise<string> };
}

const KID = 'test-issuer-key';

export async function startOidcIssuer(): Promise<OidcIssuer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'guestpass-test';
  const clientSecret = randomBytes(32).toString('base64url');
  // Nothing listens here: the flow stops at the redirect and reads the code from its Location.
  const redirectUri = 'http://127.0.0.1/callback';
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: KID, alg: 'ES256', use: 'sig' };
  const emails = new Map<string, string>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // Put the scope's claims in the ID token itself, as Google and most providers do, rather than
    // only behind the userinfo endpoint.
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, sub: string) => {
      const email = emails.get(sub);
      if (email === undefined) return undefined;
      return { accountId: sub, claims: () => ({ sub, email, email_verified: true }) };
    },
    features: { devInteractions: { enabled: false } },
    // Seconds. Set so the provider does not warn that the defaults were used.
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
  }) as unknown as OidcProvider;

  // The login and consent screens, done programmatically: the account is the login_hint the
  // relying party sent, and consent is a Grant of exactly what was asked.
  const interaction = async (request: IncomingMessage, response: ServerResponse) => {
    const { params } = await provider.interactionDetails(request, response);
    const accountId = String(params['login_hint']);
    const grant = new provider.Grant({ accountId, clientId: String(params['client_id']) });
    grant.addOIDCScope(String(params['scope']));
    await provider.interactionFinished(request, response, { login: { accountId }, consent: { grantId: await grant.save() } });
  };
  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!request.url?.startsWith('/interaction/')) return callback(request, response);
    interaction(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });

  const relyingParty = await client.discovery(new URL(issuer), clientId, { id_token_signed_response_alg: 'ES256' }, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
  });

  return {
    issuer,
    clientId,
    async idTokenFor(sub, { nonce, email } = {}) {
      emails.set(sub, email ?? `${sub}@example.test`);
      // A fresh browser each time, so no provider session from an earlier sign-in carries over.
      const browser = makeFetchCookie(fetch);
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      let location = client.buildAuthorizationUrl(relyingParty, {
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        login_hint: sub,
        ...(nonce === undefined ? {} : { nonce }),
      }).href;
      // authorization endpoint → interaction → resumed authorization → redirect_uri with the code
      for (let hop = 0; !location.startsWith(redirectUri); hop++) {
        if (hop === 5) throw new Error(`the sign-in did not reach ${redirectUri}; stopped at ${location}`);
        const response = await browser(location, { redirect: 'manual' });
        const next = response.headers.get('location');
        if (response.status !== 303 && response.status !== 302) throw new Error(`${location} answered ${response.status}: ${await response.text()}`);
        if (!next) throw new Error(`${location} redirected without a Location`);
        location = new URL(next, location).href;
      }
      const tokens = await client.authorizationCodeGrant(relyingParty, new URL(location), {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        ...(nonce === undefined ? {} : { expectedNonce: nonce }),
      });
      if (!tokens.id_token) throw new Error('the token endpoint returned no id_token');
      return tokens.id_token;
    },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'JWT' }).sign(privateKey),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Resolves with the GuestpassError `promise` rejects with, after checking its code. */
export async function rejectsWithIdTokenError(promise: Promise<unknown>, code: IdTokenErrorCode): Promise<GuestpassError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof GuestpassError, `expected a GuestpassError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
