import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import type { DomainEvents } from '../src/events/types.js';
import { erasureError } from '../src/accounts/gdpr/error-codes.js';
import { getWithToken, nextMailTo, postJson } from './helpers/accounts.js';
import { describeEachDatabase, type DatabaseKind } from './helpers/databases.js';
import { createGuest, GuestAdmin, json, refreshGuest, type JsonResponse } from './helpers/guests.js';
import { startOidcIssuer, type OidcIssuer } from './helpers/oidc-issuer.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { codeIn, startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';
import { event, sendEvents } from './helpers/telemetry.js';

const PASSWORD = 'correct horse battery staple';

/** A person built over HTTP the way an application would, and every value that identifies them. */
interface Person {
  accountId: string;
  guestId: string;
  /** As typed at sign-up, and as stored. */
  typedEmail: string;
  email: string;
  /** Distinctive metadata values: the account's own and the merged guest's. */
  marks: string[];
  eventIds: string[];
  /** Tokens from before the erasure. */
  accessToken: string;
  sessionToken: string;
  guestAccessToken: string;
  guestSessionToken: string;
  /** The session of the account that token reuse got an alert for. */
  reusedSessionId: string;
}

interface Harness {
  server: TestServer;
  smtp: SmtpCapture;
  issuer: OidcIssuer;
  admin: GuestAdmin;
  clientId: string;
  stop(): Promise<void>;
}

async function startHarness(database: DatabaseKind, env: Record<string, string> = {}): Promise<Harness> {
  const [issuer, smtp] = await Promise.all([startOidcIssuer(), startSmtpCapture()]);
  const server = await startTestServer({
    database,
    env: {
      GUESTPASS_SMTP_URL: smtp.url,
      GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000',
      GUESTPASS_TRUSTED_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: issuer.clientId }]),
      ...env,
    },
  });
  const admin = new GuestAdmin(server);
  const clientId = await admin.publicClient({ scopes: ['telemetry:write'] });
  return {
    server,
    smtp,
    issuer,
    admin,
    clientId,
    async stop() {
      await server.stop();
      await issuer.stop();
      await smtp.stop();
    },
  };
}

async function deleteWithToken(server: TestServer, path: string, token: string, body?: Record<string, unknown>): Promise<JsonResponse> {
  return json(
    await fetch(`${server.url}${path}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

/** Signs up with the address as typed and verifies with the mailed code: the verification response. */
async function signUp(h: Harness, typedEmail: string, sessionToken?: string): Promise<JsonResponse> {
  const seen = h.smtp.messages.length;
  const signup = await postJson(h.server, '/accounts/signup', {
    client_id: h.clientId,
    email: typedEmail,
    password: PASSWORD,
    ...(sessionToken ? { session_token: sessionToken } : {}),
  });
  assert.equal(signup.status, 202, JSON.stringify(signup.body));
  const mail = await nextMailTo(h.smtp, typedEmail.toLowerCase(), seen);
  const verified = await postJson(h.server, '/accounts/verify', { client_id: h.clientId, email: typedEmail, code: codeIn(mail) });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  return verified;
}

async function sendOne(h: Harness, token: string): Promise<string> {
  const sent = event();
  const answer = await sendEvents(h.server, token, [sent]);
  assert.equal(answer.body.accepted, 1, JSON.stringify(answer.body));
  return sent['id'] as string;
}

/**
 * A registered person with everything a person can leave: a guest with metadata promoted in
 * place by sign-up, a second guest with metadata merged in by login, telemetry from both,
 * an ID-token identity link, a pending password reset, sessions, and an alert (token reuse)
 * about one of the account's sessions.
 */
async function buildPerson(h: Harness, label: string): Promise<Person> {
  const tag = randomUUID().slice(0, 8);
  const typedEmail = `Ada.${label}-${tag}@Example.COM`;
  const email = typedEmail.toLowerCase();
  const marks = [`cart-${label}-${tag}-mark`, `wish-${label}-${tag}-mark`];

  const first = await createGuest(h.server, { client_id: h.clientId, metadata: { cart: marks[0] } });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const eventIds = [await sendOne(h, first.body.access_token)];
  const verified = await signUp(h, typedEmail, first.body.session_token);
  assert.equal(verified.body['outcome'], 'promoted');
  const accountId = first.body.user_id;
  eventIds.push(await sendOne(h, verified.body['access_token'] as string));

  const second = await createGuest(h.server, { client_id: h.clientId, metadata: { wishlist: marks[1] } });
  eventIds.push(await sendOne(h, second.body.access_token));
  const login = await postJson(h.server, '/accounts/login', {
    client_id: h.clientId,
    email: typedEmail,
    password: PASSWORD,
    session_token: second.body.session_token,
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  assert.equal(login.body['merged_guest_id'], second.body.user_id);

  const nonce = `n-${tag}`;
  const linked = await postJson(h.server, '/accounts/link/id-token', {
    client_id: h.clientId,
    id_token: await h.issuer.idTokenFor(`sub-${tag}`, { nonce, email }),
    nonce,
  });
  assert.equal(linked.status, 200, JSON.stringify(linked.body));
  assert.equal(linked.body.user_id, accountId);

  const forgot = await postJson(h.server, '/accounts/password/forgot', { client_id: h.clientId, email: typedEmail });
  assert.equal(forgot.status, 202);

  // Token reuse on the ID-token session (a token two rotations old, beyond any grace): its
  // session is revoked and an alert names it.
  const reusedSessionId = linked.body['session_id'] as string;
  const rotated = await refreshGuest(h.server, h.clientId, linked.body['session_token'] as string);
  assert.equal((await refreshGuest(h.server, h.clientId, rotated.body.session_token)).status, 200);
  assert.equal((await refreshGuest(h.server, h.clientId, linked.body['session_token'] as string)).status, 400);
  await waitForAlert(h, reusedSessionId);

  const current = await refreshGuest(h.server, h.clientId, login.body['session_token'] as string);
  assert.equal(current.status, 200, JSON.stringify(current.body));
  return {
    accountId,
    guestId: second.body.user_id,
    typedEmail,
    email,
    marks,
    eventIds,
    accessToken: current.body.access_token,
    sessionToken: current.body.session_token,
    guestAccessToken: second.body.access_token,
    guestSessionToken: second.body.session_token,
    reusedSessionId,
  };
}

async function waitForAlert(h: Harness, sessionId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const page = await h.admin.call('GET', `/admin/api/alerts?entity_kind=session&entity_id=${sessionId}`);
    if ((page.body.alerts as unknown[]).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('no alert was stored for the reused session');
}

/**
 * Every text value of every row of every table of the server's database (listed from the
 * catalog, so a table added later is scanned too) that contains one of `needles`, ignoring case.
 */
async function scanDatabase(server: TestServer, needles: string[]): Promise<{ tables: string[]; hits: string[] }> {
  const { db, dialect, schema } = server.ctx.store;
  const listed =
    dialect === 'postgres'
      ? await sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = ${schema ?? 'public'} and table_type = 'BASE TABLE'`.execute(db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
  const tables = listed.rows.map((row) => row.name);
  const hits: string[] = [];
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    for (const row of rows) {
      if (table === 'audit_log' && row['type'] === 'user.deleted') continue;
      if (table === 'audit_log' && row['type'] === 'admin.action' && isErasureRequest(String(row['event']))) continue;
      for (const [column, value] of Object.entries(row)) {
        if (typeof value !== 'string') continue;
        const text = value.toLowerCase();
        for (const needle of needles) if (text.includes(needle.toLowerCase())) hits.push(`${table}.${column} holds ${needle}`);
      }
    }
  }
  return { tables, hits };
}

/** The event log's record of who erased the person: `admin.action` of DELETE /admin/api/users/:id, kept like `user.deleted`. */
function isErasureRequest(event: string): boolean {
  const { method, route } = JSON.parse(event) as { method?: string; route?: string };
  return method === 'DELETE' && route === '/admin/api/users/:id';
}

/**
 * What an erasure must leave none of: `values` (addresses, metadata) in any table, `ids` in any
 * table but the outbox and the webhook messages made from it (and the event log's record of the erasure itself: `user.deleted`, like
 * Auth0's deletion log entry, says which id was erased and when, and the admin's request that
 * did it, `admin.action`, says who; the scan skips both). Outbound events still waiting there keep ids, never more: `user.deleted`
 * is how applications learn what to erase (GDPR Art. 19), the messages before it how to find
 * their rows, and the webhooks' retention purges them once sent.
 */
async function tracesOf(server: TestServer, ids: string[], values: string[]): Promise<string[]> {
  const everywhere = (await scanDatabase(server, values)).hits;
  const outsideOutbox = (await scanDatabase(server, ids)).hits.filter((hit) => !hit.startsWith('outbox_events.') && !hit.startsWith('webhook_messages.'));
  return [...everywhere, ...outsideOutbox];
}

/** The parts of an export the test reads. */
interface ExportedUser {
  user_id: string;
  profile: { email: string | null; has_password: boolean; is_anonymous: boolean; merged_into: string | null } | null;
  metadata: Record<string, unknown> | null;
  sessions: { session_id: string }[];
  identity_links: { issuer: string }[];
}

interface PersonExport extends ExportedUser {
  exported_at: number;
  merged_guests: ExportedUser[];
  telemetry: { total: number; truncated: boolean; events: { id: string }[] };
  email_proofs: { purpose: string; email: string }[];
  alerts: { entity: { id: string } }[];
}

const needlesOf = (person: Person) => [person.accountId, person.guestId, person.email, person.typedEmail, ...person.marks];
const tracesOfPerson = (server: TestServer, person: Person) =>
  tracesOf(server, [person.accountId, person.guestId], [person.email, person.typedEmail, ...person.marks]);

describeEachDatabase('erasure and export of a person', (database) => {
  let h: Harness;
  before(async () => {
    h = await startHarness(database);
  });
  after(async () => {
    await h?.stop();
  });

  it('erases a person and its merged guest: nothing in any table names them, and their tokens are refused', async () => {
    const person = await buildPerson(h, 'erase');
    const bystander = await buildPerson(h, 'bystander');
    const before = await scanDatabase(h.server, needlesOf(person));
    for (const table of ['users', 'sessions', 'events', 'email_tokens', 'user_identities', 'user_aliases', 'alerts', 'erased_users'])
      assert.ok(before.tables.includes(table), `the catalog lists ${table}`);
    for (const where of ['users.email', 'users.metadata', 'events.user_id', 'email_tokens.email', 'user_identities.user_id', 'user_aliases.alias_id'])
      assert.ok(
        before.hits.some((hit) => hit.startsWith(where)),
        `before the erasure the scan finds the person in ${where}`,
      );

    const deleted: DomainEvents['user.deleted'][] = [];
    const off = h.server.ctx.events.on('user.deleted', (payload) => deleted.push(payload));
    const erased = await h.admin.call('DELETE', `/admin/api/users/${person.accountId}`);
    off();
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal(erased.body.user_id, person.accountId);
    assert.deepEqual(erased.body.merged_guests, [person.guestId]);
    assert.equal(erased.body['users'], 2);
    assert.equal(erased.body['events'], 3);
    assert.equal(erased.body.identity_links, 1);
    assert.ok((erased.body['proofs'] as number) >= 2, 'the sign-up proof and the pending reset are gone');
    assert.ok((erased.body.alerts as number) >= 1, 'the token-reuse alert is gone');
    assert.deepEqual(
      deleted.map(({ subject, merged_guests }) => ({ subject, merged_guests })),
      [{ subject: person.accountId, merged_guests: 1 }],
    );

    assert.deepEqual(await tracesOfPerson(h.server, person), []);
    assert.ok((await scanDatabase(h.server, needlesOf(bystander))).hits.length > 0, 'another person is untouched');

    assert.equal((await getWithToken(h.server, '/accounts/me', person.accessToken)).status, 401);
    assert.equal((await getWithToken(h.server, '/accounts/me', person.guestAccessToken)).status, 401);
    for (const sessionToken of [person.sessionToken, person.guestSessionToken]) {
      const refreshed = await refreshGuest(h.server, h.clientId, sessionToken);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
    }
    assert.equal((await postJson(h.server, '/accounts/login', { client_id: h.clientId, email: person.email, password: PASSWORD })).status, 400);
    assert.deepEqual(await tracesOfPerson(h.server, person), [], 'refused tokens wrote nothing back');

    const again = await h.admin.call('DELETE', `/admin/api/users/${person.accountId}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.body, { error: 'not_found', error_description: erasureError.catalogue.USER_NOT_FOUND.description });
  });

  it('exports everything written about a person, with no password hash and no token, to the admin and to the person', async () => {
    const person = await buildPerson(h, 'export');
    const exported = await h.admin.call('GET', `/admin/api/users/${person.accountId}/export`);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const body = exported.body as unknown as PersonExport;
    assert.equal(body.user_id, person.accountId);
    assert.equal(body.profile?.email, person.email);
    assert.equal(body.profile?.has_password, true);
    assert.equal(body.profile?.is_anonymous, false);
    assert.deepEqual(body.metadata, { cart: person.marks[0], wishlist: person.marks[1] });
    assert.ok(body.sessions.length >= 3, 'the sign-up, login and ID-token sessions');
    assert.ok(body.sessions.some((session) => session.session_id === person.reusedSessionId));
    assert.deepEqual(
      body.identity_links.map((link) => link.issuer),
      [h.issuer.issuer],
    );
    assert.equal(body.merged_guests.length, 1);
    assert.equal(body.merged_guests[0]?.user_id, person.guestId);
    assert.deepEqual(body.merged_guests[0]?.metadata, { wishlist: person.marks[1] });
    assert.equal(body.merged_guests[0]?.profile?.merged_into, person.accountId);
    assert.ok((body.merged_guests[0]?.sessions.length ?? 0) >= 1);
    assert.deepEqual(body.telemetry.events.map((entry) => entry.id).sort(), [...person.eventIds].sort());
    assert.equal(body.telemetry.total, 3);
    assert.equal(body.telemetry.truncated, false);
    assert.ok(body.email_proofs.some((proof) => proof.purpose === 'reset' && proof.email === person.email));
    assert.ok(body.alerts.some((alert) => alert.entity.id === person.reusedSessionId));

    const text = JSON.stringify(body);
    for (const secret of ['$argon2', 'password_hash', 'code_hash', 'link_hash', 'dpop_jkt', person.accessToken, person.sessionToken])
      assert.ok(!text.includes(secret), `the export carries no ${secret.slice(0, 12)}`);

    const own = await getWithToken(h.server, '/accounts/me/export', person.accessToken);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.headers.get('cache-control'), 'no-store');
    const { exported_at: _own, ...ownRest } = own.body;
    const { exported_at: _admin, ...adminRest } = body;
    assert.deepEqual(ownRest, adminRest);
  });

  it('lets a guest delete itself with its access token alone: its session ends and its tokens are refused', async () => {
    const mark = `guest-self-${randomUUID()}`;
    const guest = await createGuest(h.server, { client_id: h.clientId, metadata: { note: mark } });
    await sendOne(h, guest.body.access_token);
    assert.equal((await refreshGuest(h.server, h.clientId, guest.body.session_token)).status, 200);

    const erased = await deleteWithToken(h.server, '/accounts/me', guest.body.access_token);
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal(erased.body['users'], 1);
    assert.equal(erased.body['events'], 1);
    assert.equal((await getWithToken(h.server, '/accounts/me', guest.body.access_token)).status, 401);
    assert.equal((await refreshGuest(h.server, h.clientId, guest.body.session_token)).body.error, 'invalid_grant');
    assert.deepEqual(await tracesOf(h.server, [guest.body.user_id], [mark]), []);

    // A guest that never needed a row: nothing to export or delete, but its tokens still die.
    const fresh = await createGuest(h.server, { client_id: h.clientId });
    const empty = await getWithToken(h.server, '/accounts/me/export', fresh.body.access_token);
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.equal(empty.body['user_id'], fresh.body.user_id);
    assert.equal(empty.body['profile'], null);
    const gone = await deleteWithToken(h.server, '/accounts/me', fresh.body.access_token);
    assert.equal(gone.status, 200, JSON.stringify(gone.body));
    assert.equal(gone.body['users'], 0);
    assert.equal((await getWithToken(h.server, '/accounts/me', fresh.body.access_token)).status, 401);
    assert.equal((await refreshGuest(h.server, h.clientId, fresh.body.session_token)).body.error, 'invalid_grant');
  });

  it('lets a registered user delete itself without its password right after logging in', async () => {
    const verified = await signUp(h, `Recent-${randomUUID().slice(0, 8)}@Example.COM`);
    const erased = await deleteWithToken(h.server, '/accounts/me', verified.body['access_token'] as string);
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal((await getWithToken(h.server, '/accounts/me', verified.body['access_token'] as string)).status, 401);
  });

  it('refuses a session token as the credential of /accounts/me/export and DELETE /accounts/me', async () => {
    const guest = await createGuest(h.server, { client_id: h.clientId });
    assert.equal((await getWithToken(h.server, '/accounts/me/export', guest.body.session_token)).status, 401);
    assert.equal((await deleteWithToken(h.server, '/accounts/me', guest.body.session_token)).status, 401);
    assert.equal((await getWithToken(h.server, '/accounts/me', guest.body.access_token)).status, 200, 'the guest is still there');
  });
});

describeEachDatabase('self-service erasure of a registered account that has not just logged in', (database) => {
  let h: Harness;
  before(async () => {
    // 0: the password is always asked for, as it is for a login older than the window.
    h = await startHarness(database, { GUESTPASS_ERASURE_RECENT_LOGIN: '0' });
  });
  after(async () => {
    await h?.stop();
  });

  it('asks for the password, refuses a wrong one, and erases with the right one', async () => {
    const verified = await signUp(h, `Owner-${randomUUID().slice(0, 8)}@Example.COM`);
    const token = verified.body['access_token'] as string;

    const bare = await deleteWithToken(h.server, '/accounts/me', token);
    assert.equal(bare.status, 401);
    assert.deepEqual(bare.body, { error: 'insufficient_user_authentication', error_description: erasureError.catalogue.REAUTHENTICATION_REQUIRED.description });
    assert.match(bare.headers.get('www-authenticate') ?? '', /insufficient_user_authentication/);

    const wrong = await deleteWithToken(h.server, '/accounts/me', token, { password: 'not the password at all' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.body, { error: 'access_denied', error_description: erasureError.catalogue.WRONG_PASSWORD.description });
    assert.equal((await getWithToken(h.server, '/accounts/me', token)).status, 200, 'nothing was deleted');

    const unknownField = await deleteWithToken(h.server, '/accounts/me', token, { password: PASSWORD, force: true });
    assert.equal(unknownField.status, 400);

    const erased = await deleteWithToken(h.server, '/accounts/me', token, { password: PASSWORD });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.equal((await getWithToken(h.server, '/accounts/me', token)).status, 401);
  });
});
