import { randomUUID } from 'node:crypto';
import { createGuest, json, ORIGIN, type GuestAdmin, type JsonResponse } from './guests.js';
import type { TestServer } from './server.js';

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: string; error_description: string }[];
  error?: string;
  error_description?: string;
}

/** A valid event; `overrides` replace or add fields. */
export function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: randomUUID(), name: 'page.view', ts: Date.now(), ...overrides };
}

/** POST /v1/events with a JSON body and the token as a Bearer header. */
export async function sendEvents(
  server: TestServer,
  token: string,
  events: unknown[],
  headers: Record<string, string> = {},
): Promise<JsonResponse<IngestAnswer>> {
  return json<IngestAnswer>(
    await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, origin: ORIGIN, ...headers },
      body: JSON.stringify({ events }),
    }),
  );
}

/** A public client whose guests may send telemetry, with optional extra guest settings. */
export function telemetryClient(admin: GuestAdmin, guest: Record<string, unknown> = {}): Promise<string> {
  return admin.publicClient({ scopes: ['telemetry:write'], ...guest });
}

/** A new guest of `clientId`: its access token, user id and session id. */
export async function newGuest(server: TestServer, clientId: string): Promise<{ token: string; userId: string; sessionId: string; sessionToken: string }> {
  const { status, body } = await createGuest(server, { client_id: clientId });
  if (status !== 200) throw new Error(`guest creation failed: ${JSON.stringify(body)}`);
  return { token: body.access_token, userId: body.user_id, sessionId: body.session_id, sessionToken: body.session_token };
}

/**
 * Marks a guest as promoted in place at a chosen past time, by writing users.converted_at
 * straight into the store: analytics windows need conversions hours ago, which the real
 * sign-up flow cannot date (test/telemetry-conversion-flow.test.ts covers that flow over HTTP).
 */
export async function markPromoted(server: TestServer, userId: string, at: number): Promise<void> {
  const { db } = server.ctx.store;
  await db
    .insertInto('users')
    .values({ id: userId, is_anonymous: 0, created_by_client: null, metadata: '{}', metadata_version: 0, created_at: at, updated_at: at, converted_at: at })
    .onConflict((oc) => oc.column('id').doUpdateSet({ is_anonymous: 0, converted_at: at, updated_at: at }))
    .execute();
}

/** As markPromoted: records that `guestId` was merged into `accountId` (user_aliases) at a chosen time. */
export async function markMerged(server: TestServer, guestId: string, accountId: string, at: number): Promise<void> {
  await server.ctx.store.db.insertInto('user_aliases').values({ alias_id: guestId, user_id: accountId, created_at: at }).execute();
}
