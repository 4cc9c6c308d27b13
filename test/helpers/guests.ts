import type { GuestSettingsJson } from '../../src/clients/guest-settings.js';
import type { GuestTokenResponse } from '../../src/sessions/types.js';
import type { TestServer } from './server.js';

export const ORIGIN = 'http://localhost:3000';

export type GuestTokens = GuestTokenResponse;

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<JsonResponse<T>> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/**
 * Admin helper: creates an admin client once (in-process, through the server's client service)
 * and configures other clients through the admin API.
 */
export class GuestAdmin {
  private token?: string;

  constructor(private readonly server: TestServer) {}

  async adminToken(): Promise<string> {
    if (!this.token) {
      const admin = await this.server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
      this.token = await this.server.clientCredentialsToken(admin.client_id, admin.client_secret!);
    }
    return this.token;
  }

  async call(method: string, path: string, body?: unknown): Promise<JsonResponse> {
    return json(
      await fetch(`${this.server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${await this.adminToken()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    );
  }

  /** A public browser client allowed from ORIGIN, with the given guest settings. */
  async publicClient(guest: GuestSettingsJson = {}, extra: Record<string, unknown> = {}): Promise<string> {
    const created = await this.call('POST', '/admin/api/clients', { name: 'web', type: 'public', allowed_origins: [ORIGIN], guest, ...extra });
    if (created.status !== 201) throw new Error(`client creation failed: ${JSON.stringify(created.body)}`);
    return created.body['client_id'] as string;
  }

  async confidentialClient(guest: GuestSettingsJson = {}, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const created = await this.call('POST', '/admin/api/clients', { name: 'backend', type: 'confidential', guest, ...extra });
    return { id: created.body['client_id'] as string, secret: created.body['client_secret'] as string };
  }
}

/** POST /anonymous/token with JSON and an allowed Origin. */
export async function createGuest(
  server: TestServer,
  body: Record<string, unknown>,
  headers: Record<string, string> = { origin: ORIGIN },
): Promise<JsonResponse<GuestTokens>> {
  return json<GuestTokens>(
    await fetch(`${server.url}/anonymous/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
  );
}

/** grant_type=refresh_token at /oauth/token. */
export async function refreshGuest(server: TestServer, clientId: string, sessionToken: string): Promise<JsonResponse<GuestTokens & { error?: string }>> {
  return json(
    await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: sessionToken }),
    }),
  );
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}
