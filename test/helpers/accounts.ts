import { randomUUID } from 'node:crypto';
import { GuestAdmin, ORIGIN, createGuest, json, refreshGuest, type JsonResponse } from './guests.js';
import type { DatabaseKind } from './databases.js';
import { startTestServer, type TestServer } from './server.js';
import { codeIn, linkIn, startSmtpCapture, type CapturedMail, type SmtpCapture } from './smtp-capture.js';

/** POST a JSON body to an /accounts/* endpoint from the browser origin. */
export async function postJson(server: TestServer, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  return json(
    await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** GET with an access token. */
export async function getWithToken(server: TestServer, path: string, token: string): Promise<JsonResponse> {
  return json(await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } }));
}

/** RFC 7662 introspection by a confidential client. */
export async function introspect(server: TestServer, credentials: { id: string; secret: string }, token: string): Promise<JsonResponse> {
  return json(
    await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`).toString('base64')}` },
      body: new URLSearchParams({ token }),
    }),
  );
}

/** An address no other test uses, so per-address limits and mail never collide. */
export function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

/** The next mail to `email` that arrives after the `seen` messages already captured. */
export function nextMailTo(smtp: SmtpCapture, email: string, seen: number): Promise<CapturedMail> {
  return smtp.waitFor((mail) => mail.to.includes(email) && smtp.messages.indexOf(mail) >= seen);
}

/** The `token` query parameter of the link in a mail. */
export function linkTokenIn(mail: CapturedMail): string {
  const token = new URL(linkIn(mail)).searchParams.get('token');
  if (!token) throw new Error('the mailed link has no token');
  return token;
}

/** A response whose body is kept as text, for byte-for-byte comparisons and HTML pages. */
export interface TextResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function textOf(response: Response): Promise<TextResponse> {
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** POST a JSON body and keep the answer as text. */
export async function postJsonText(server: TestServer, path: string, body: Record<string, unknown>): Promise<TextResponse> {
  return textOf(
    await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify(body) }),
  );
}

/** POST an HTML form (application/x-www-form-urlencoded), as the mailed link's page does. */
export async function postForm(server: TestServer, path: string, fields: Record<string, string>): Promise<TextResponse> {
  return textOf(await fetch(`${server.url}${path}`, { method: 'POST', body: new URLSearchParams(fields) }));
}

/**
 * Signs up (with a guest's session token when given), reads the code from the captured mail and
 * verifies it: the verification response (tokens, `outcome`, `user_id`).
 */
export async function register(
  server: TestServer,
  smtp: SmtpCapture,
  input: { clientId: string; email: string; password?: string; sessionToken?: string },
): Promise<JsonResponse> {
  const seen = smtp.messages.length;
  const signup = await postJson(server, '/accounts/signup', {
    client_id: input.clientId,
    email: input.email,
    ...(input.password === undefined ? {} : { password: input.password }),
    ...(input.sessionToken === undefined ? {} : { session_token: input.sessionToken }),
  });
  if (signup.status !== 202) throw new Error(`sign-up failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const mail = await nextMailTo(smtp, input.email, seen);
  const verified = await postJson(server, '/accounts/verify', { client_id: input.clientId, email: input.email, code: codeIn(mail) });
  if (verified.status !== 200) throw new Error(`verification failed: ${verified.status} ${JSON.stringify(verified.body)}`);
  return verified;
}

/** A registered account with a password, made over HTTP (sign-up and verification). */
export async function registeredAccount(
  server: TestServer,
  smtp: SmtpCapture,
  clientId: string,
  label: string,
  password: string,
): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(label);
  const verified = await register(server, smtp, { clientId, email, password });
  return { id: verified.body['user_id'] as string, email };
}

/** A guest with a row (metadata) and a session row (one refresh): what a merge has to revoke. */
export async function storedGuest(server: TestServer, clientId: string): Promise<{ userId: string; sessionId: string; sessionToken: string }> {
  const created = (await createGuest(server, { client_id: clientId, metadata: { cart: ['sku-1'] } })).body;
  const refreshed = await refreshGuest(server, clientId, created.session_token);
  if (refreshed.status !== 200) throw new Error(`refresh failed: ${refreshed.status} ${JSON.stringify(refreshed.body)}`);
  return { userId: created.user_id, sessionId: created.session_id, sessionToken: refreshed.body.session_token };
}

/** PATCH a JSON Merge Patch (RFC 7396) with a bearer token. */
export async function patchWithToken(
  server: TestServer,
  path: string,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return json(
    await fetch(`${server.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

export interface MailedServer {
  smtp: SmtpCapture;
  server: TestServer;
  admin: GuestAdmin;
  /** A public browser client allowed from ORIGIN. */
  clientId: string;
  stop(): Promise<void>;
}

/**
 * A real server whose mail goes to a captured SMTP server, with an admin and a public client.
 * The per-IP account limit is lifted: every request of a test comes from loopback.
 */
export async function startMailedServer(database: DatabaseKind, env: Record<string, string> = {}): Promise<MailedServer> {
  const smtp = await startSmtpCapture();
  const server = await startTestServer({ database, env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000', ...env } });
  const admin = new GuestAdmin(server);
  const clientId = await admin.publicClient();
  return {
    smtp,
    server,
    admin,
    clientId,
    stop: async () => {
      await server.stop();
      await smtp.stop();
    },
  };
}
