import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { postJson, register, uniqueEmail } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';

const HOUR = 3_600_000;
const PASSWORD = 'correct horse battery staple';

interface UserSummary {
  user_id: string;
  is_anonymous: boolean;
  created_by_client: string | null;
  created_at: number;
  last_seen_at: number;
  email: string | null;
  has_password: boolean;
  merged_into: string | null;
}
interface Page {
  users: UserSummary[];
  next_cursor: string | null;
  error?: string;
  error_description?: string;
}

describeEachDatabase('GET /admin/api/users and last_seen_at', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  const t0 = Date.now();
  let clock = t0;
  let readToken: string;
  /** A new admin:read token, after the clock moved past the last one's hour. */
  let reissue: () => Promise<void>;
  let web: string;
  let shop: string;
  const webGuests: string[] = [];
  const shopGuests: string[] = [];
  let converted: string;
  let account: string;
  let mergedGuest: string;
  let refreshedToken: string;
  let refreshedGuest: string;

  const list = async (query: Record<string, string> = {}, token = readToken) =>
    json<Page>(await fetch(`${server.url}/admin/api/users?${new URLSearchParams(query)}`, { headers: { authorization: `Bearer ${token}` } }));
  /** Every page of a query, following next_cursor. */
  const all = async (query: Record<string, string> = {}) => {
    const users: UserSummary[] = [];
    let cursor: string | null = null;
    do {
      const page = await list({ ...query, limit: '3', ...(cursor ? { cursor } : {}) });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.users.length <= 3);
      users.push(...page.body.users);
      cursor = page.body.next_cursor;
    } while (cursor);
    return users;
  };
  const guest = async (clientId: string) => {
    const created = await createGuest(server, { client_id: clientId, metadata: { visits: 1 } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body;
  };

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({ database, now: () => clock, env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_CULL_INTERVAL: '0' } });
    const admin = new GuestAdmin(server);
    web = await admin.publicClient();
    shop = await admin.publicClient();
    const ops = await server.createClient(['--name', 'reader', '--type', 'confidential', '--admin']);
    // One guest a minute, so that creation times order them.
    for (let i = 0; i < 5; i += 1, clock += 60_000) webGuests.push((await guest(web)).user_id);
    for (let i = 0; i < 2; i += 1, clock += 60_000) shopGuests.push((await guest(shop)).user_id);
    const toConvert = await guest(web);
    clock += 60_000;
    converted = (await register(server, smtp, { clientId: web, email: uniqueEmail('converted'), password: PASSWORD, sessionToken: toConvert.session_token }))
      .body['user_id'] as string;
    const accountEmail = uniqueEmail('account');
    account = (await register(server, smtp, { clientId: web, email: accountEmail, password: PASSWORD })).body['user_id'] as string;
    clock += 60_000;
    const toMerge = await guest(web);
    mergedGuest = toMerge.user_id;
    assert.equal(
      (await postJson(server, '/accounts/login', { client_id: web, email: accountEmail, password: PASSWORD, session_token: toMerge.session_token })).status,
      200,
    );
    clock += 60_000;
    const refreshed = await guest(web);
    refreshedGuest = refreshed.user_id;
    refreshedToken = refreshed.session_token;
    reissue = async () => {
      readToken = await server.clientCredentialsToken(ops.client_id, ops.client_secret!, { scope: 'admin:read' });
    };
    await reissue();
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  it('pages through every user newest first, each exactly once, and never shows a secret', async () => {
    const users = await all();
    const ids = users.map((user) => user.user_id);
    assert.equal(new Set(ids).size, ids.length, 'no user twice');
    for (const id of [...webGuests, ...shopGuests, converted, account, mergedGuest, refreshedGuest]) assert.ok(ids.includes(id), id);
    assert.equal(ids.length, webGuests.length + shopGuests.length + 4);
    for (let i = 1; i < users.length; i += 1) assert.ok(users[i - 1]!.created_at >= users[i]!.created_at, 'newest first');
    const text = JSON.stringify(users);
    assert.ok(!text.includes('password_hash') && !text.includes('$argon2'), 'no password hash');
    const registered = users.find((user) => user.user_id === converted)!;
    assert.equal(registered.has_password, true);
    assert.match(registered.email ?? '', /^converted-/);
  });

  it('filters by kind, client, merge state and creation time', async () => {
    const registered = (await all({ is_anonymous: 'false' })).map((user) => user.user_id).sort();
    assert.deepEqual(registered, [converted, account].sort());
    const ofShop = (await all({ client_id: shop })).map((user) => user.user_id).sort();
    assert.deepEqual(ofShop, [...shopGuests].sort());
    assert.deepEqual(
      (await all({ merged: 'true' })).map((user) => user.user_id),
      [mergedGuest],
    );
    assert.ok(!(await all({ merged: 'false' })).some((user) => user.user_id === mergedGuest));
    // The 2nd to 4th web guests, by their creation minutes; ISO 8601 and epoch ms both work.
    const window = await all({ client_id: web, created_after: new Date(t0 + 60_000).toISOString(), created_before: String(t0 + 4 * 60_000) });
    assert.deepEqual(window.map((user) => user.user_id).sort(), webGuests.slice(1, 4).sort());
  });

  it('moves last_seen_at on a refresh only when it is over an hour old', async () => {
    const seenAt = async () => {
      await reissue();
      return (await all({ last_seen_after: String(t0) })).find((user) => user.user_id === refreshedGuest)!.last_seen_at;
    };
    const created = await seenAt();
    clock += 30 * 60_000;
    let refreshed = await refreshGuest(server, web, refreshedToken);
    assert.equal(refreshed.status, 200);
    assert.equal(await seenAt(), created, 'within the hour: no write');
    clock += HOUR;
    refreshed = await refreshGuest(server, web, refreshed.body.session_token);
    assert.equal(refreshed.status, 200);
    assert.equal(await seenAt(), clock);

    const recent = await all({ last_seen_after: String(clock - 1) });
    assert.deepEqual(
      recent.map((user) => user.user_id),
      [refreshedGuest],
    );
    const older = await all({ last_seen_before: String(clock - 1), client_id: web, is_anonymous: 'true', merged: 'false' });
    assert.deepEqual(older.map((user) => user.user_id).sort(), [...webGuests].sort());
  });

  it('refuses unknown fields, a made-up cursor, a limit over 200 and a token without admin:read', async () => {
    await reissue();
    const unknown = await list({ password_hash: 'x' });
    assert.equal(unknown.status, 400);
    const cursor = await list({ cursor: 'bm90LWEtY3Vyc29y' });
    assert.equal(cursor.status, 400);
    assert.equal(cursor.body.error, 'invalid_request');
    assert.match(cursor.body.error_description ?? '', /next_cursor/);
    assert.equal((await list({ limit: '201' })).status, 400);
    assert.equal((await list({ created_after: 'yesterday' })).status, 400);
    const visitor = await createGuest(server, { client_id: web });
    assert.ok([401, 403].includes((await list({}, visitor.body.access_token)).status));
  });
});
