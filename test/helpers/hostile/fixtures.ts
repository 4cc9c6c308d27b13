import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { register, uniqueEmail, type MailedServer } from '../accounts.js';
import { createGuest, type GuestAdmin, json, ORIGIN, refreshGuest, type GuestTokens } from '../guests.js';
import type { TestServer } from '../server.js';

/** A DPoP-bound guest access token and the key its proofs are signed with. */
export interface BoundGuest {
  accessToken: string;
  jwk: JWK;
  privateKey: CryptoKey;
}

/** A guest with stored state (metadata, a refreshed session), so admin routes find its rows. */
export interface Guest {
  accessToken: string;
  sessionToken: string;
  userId: string;
  sessionId: string;
  /** Another guest of the same client, bound to a key of its own. */
  bound: BoundGuest;
}

/** Valid credentials of every kind, so hostile requests get past authentication. */
export interface Fixtures {
  issuer: string;
  /** A browser client allowed from ORIGIN whose guests may send telemetry. */
  publicClientId: string;
  confidential: { id: string; secret: string };
  /** A confidential admin client: it may preview the merge of any guest. */
  adminClient: { id: string; secret: string };
  adminToken: string;
  /** A client_credentials token of the confidential client, for /oauth/revoke to revoke. */
  clientToken: string;
  /** A registered user with a password. */
  account: { email: string; password: string; userId: string; accessToken: string };
  /** An alert the detectors raised, for the routes that read or judge one. */
  alertId: string;
  /**
   * Fresh guests for each route: a route that revokes, rotates or replays its own session
   * (and the detectors that then contain it) does not spoil the next route's.
   */
  newGuest(): Promise<Guest>;
  /** A fresh confidential client, for routes that change, rotate or delete the client they name. */
  newVictimClient(): Promise<string>;
}

/** A DPoP proof (RFC 9449 §4.2) for `htm` and `htu`, signed with `key`. */
export function dpopProof(key: { jwk: JWK; privateKey: CryptoKey }, htm: string, htu: string, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm, htu, ...extra })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

async function boundGuest(server: TestServer, clientId: string): Promise<BoundGuest> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const key = { jwk: await exportJWK(publicKey), privateKey };
  const created = await json<GuestTokens>(
    await fetch(`${server.url}/anonymous/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, dpop: await dpopProof(key, 'POST', `${server.ctx.issuer.value}/anonymous/token`) },
      body: JSON.stringify({ client_id: clientId }),
    }),
  );
  if (created.body.token_type !== 'DPoP') throw new Error(`no DPoP-bound guest: ${JSON.stringify(created.body)}`);
  return { accessToken: created.body.access_token, ...key };
}

async function storedGuest(server: TestServer, clientId: string): Promise<Guest> {
  const created = await createGuest(server, { client_id: clientId, metadata: { seeded: true } });
  if (created.status !== 200) throw new Error(`guest creation failed: ${JSON.stringify(created.body)}`);
  const refreshed = await refreshGuest(server, clientId, created.body.session_token);
  if (refreshed.status !== 200) throw new Error(`guest refresh failed: ${JSON.stringify(refreshed.body)}`);
  return {
    accessToken: refreshed.body.access_token,
    sessionToken: refreshed.body.session_token,
    userId: created.body.user_id,
    sessionId: created.body.session_id,
    bound: await boundGuest(server, clientId),
  };
}

/** Replays one DPoP proof, which the detectors report (and contain): a real alert to read. */
async function raiseAlert(server: TestServer, admin: GuestAdmin, clientId: string): Promise<string> {
  const guest = await boundGuest(server, clientId);
  const proof = await dpopProof(guest, 'GET', `${server.ctx.issuer.value}/anonymous/session`, {
    ath: createHash('sha256').update(guest.accessToken).digest('base64url'),
  });
  for (let attempt = 0; attempt < 2; attempt++)
    await fetch(`${server.url}/anonymous/session`, { headers: { authorization: `DPoP ${guest.accessToken}`, dpop: proof } });
  await server.ctx.anomaly.alerts.settled();
  const listed = await admin.call('GET', '/admin/api/alerts?limit=1');
  const [alert] = (listed.body['alerts'] ?? []) as { id: string }[];
  if (!alert) throw new Error(`a replayed DPoP proof raised no alert: ${JSON.stringify(listed.body)}`);
  return alert.id;
}

export async function prepareFixtures({ server, smtp, admin }: MailedServer): Promise<Fixtures> {
  const publicClientId = await admin.publicClient({ scopes: ['telemetry:write'] });
  const confidential = await admin.confidentialClient();
  const { client: adminClient, clientSecret: adminSecret = '' } = await server.ctx.clients.create({ name: 'hostile ops', type: 'confidential', isAdmin: true });
  const password = 'hostile input is no password';
  const email = uniqueEmail('hostile');
  const verified = await register(server, smtp, { clientId: publicClientId, email, password });
  return {
    issuer: server.ctx.issuer.value,
    publicClientId,
    confidential,
    adminClient: { id: adminClient.id, secret: adminSecret },
    adminToken: await admin.adminToken(),
    clientToken: await server.clientCredentialsToken(confidential.id, confidential.secret),
    account: { email, password, userId: verified.body['user_id'] as string, accessToken: verified.body['access_token'] as string },
    alertId: await raiseAlert(server, admin, publicClientId),
    newGuest: () => storedGuest(server, publicClientId),
    newVictimClient: async () => (await admin.confidentialClient()).id,
  };
}
