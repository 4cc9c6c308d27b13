import { ORIGIN, json, type JsonResponse } from './guests.js';
import type { TestServer } from './server.js';

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
