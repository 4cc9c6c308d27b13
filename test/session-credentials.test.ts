import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, type CryptoKey } from 'jose';
import { postJson, startMailedServer, uniqueEmail, type MailedServer } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { dpopProof } from './helpers/dpop.js';
import { createGuest, json, ORIGIN, refreshGuest, type GuestTokens, type JsonResponse } from './helpers/guests.js';
import type { TestServer } from './helpers/server.js';

/**
 * A session token is one credential checked by one function wherever it is accepted: in a body,
 * in `Authorization`, or in the cookie. A copy that was already rotated away is reuse on every
 * endpoint (the session dies, as at refresh: RFC 9700 §4.14.2), and a DPoP-bound session needs
 * its proof on every use (RFC 9449 §5, §7). Before this was so, a token three rotations old
 * registered the victim's guest under the attacker's address.
 */

type Use = (server: TestServer, clientId: string, sessionToken: string) => Promise<JsonResponse>;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const call = async (server: TestServer, method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  json(
    await fetch(`${server.url}${path}`, {
      method,
      headers: { origin: ORIGIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

/** Every way a session token reaches Guestpass, named by route and carrier. */
const USES: Record<string, Use> = {
  'GET /anonymous/session (Authorization)': (server, _client, token) => call(server, 'GET', '/anonymous/session', bearer(token)),
  'GET /anonymous/session (cookie)': (server, _client, token) => call(server, 'GET', '/anonymous/session', { cookie: `gp_session=${token}` }),
  'PATCH /anonymous/session/metadata (Authorization)': (server, _client, token) =>
    call(server, 'PATCH', '/anonymous/session/metadata', bearer(token), { cart: ['stolen'] }),
  'PATCH /anonymous/session/metadata (cookie)': (server, _client, token) =>
    call(server, 'PATCH', '/anonymous/session/metadata', { cookie: `gp_session=${token}` }, { cart: ['stolen'] }),
  'POST /anonymous/convert (Authorization)': (server, _client, token) =>
    call(server, 'POST', '/anonymous/convert', bearer(token), { email: uniqueEmail('thief') }),
  'POST /anonymous/logout (Authorization)': (server, _client, token) => call(server, 'POST', '/anonymous/logout', bearer(token)),
  'POST /anonymous/token (body)': (server, client, token) => call(server, 'POST', '/anonymous/token', {}, { client_id: client, session_token: token }),
  'POST /oauth/token (body)': (server, client, token) => refreshGuest(server, client, token),
  'POST /accounts/signup (body)': (server, client, token) =>
    postJson(server, '/accounts/signup', { client_id: client, email: uniqueEmail('thief'), password: 'a long thief password', session_token: token }),
  'POST /accounts/login (body)': (server, client, token) =>
    postJson(server, '/accounts/login', { client_id: client, email: uniqueEmail('thief'), password: 'a long thief password', session_token: token }),
  'POST /accounts/link/id-token (body)': (server, client, token) =>
    postJson(server, '/accounts/link/id-token', { client_id: client, id_token: 'a.b.c', session_token: token }),
  'POST /oauth/revoke (body)': async (server, client, token) =>
    json(await fetch(`${server.url}/oauth/revoke`, { method: 'POST', body: new URLSearchParams({ client_id: client, token }) })),
};

/** Body fields that carry a session token. */
const SESSION_TOKEN_FIELDS = ['session_token', 'refresh_token', 'token'];
/** Routes with such a field that take no session token: mailed verification and reset tokens, and introspection (JWTs only). */
const NOT_SESSION_TOKENS = ['POST /accounts/verify', 'POST /accounts/verify/link', 'POST /accounts/password/reset', 'POST /oauth/introspect'];

describeEachDatabase('a session token is checked the same way on every endpoint', (database) => {
  let fixture: MailedServer;
  let server: TestServer;
  let strictClient: string;
  let graceClient: string;

  before(async () => {
    fixture = await startMailedServer(database, { GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '100000', GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '100000' });
    server = fixture.server;
    [strictClient, graceClient] = await Promise.all([fixture.admin.publicClient({ refresh_grace: 0 }), fixture.admin.publicClient({ refresh_grace: 30 })]);
  });
  after(() => fixture?.stop());

  /** A guest whose first session token is `rotations` refreshes behind its newest one. */
  async function rotatedGuest(clientId: string, rotations: number): Promise<{ first: GuestTokens; newest: GuestTokens }> {
    const first = (await createGuest(server, { client_id: clientId, metadata: { cart: ['tea'] } })).body;
    let newest = first;
    for (let i = 0; i < rotations; i++) {
      const refreshed = await refreshGuest(server, clientId, newest.session_token);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      newest = refreshed.body;
    }
    return { first, newest };
  }

  async function assertSessionDead(newest: GuestTokens, clientId: string, reason: string): Promise<void> {
    assert.equal((await refreshGuest(server, clientId, newest.session_token)).body.error, 'invalid_grant', 'the newest session token is dead too');
    assert.equal((await call(server, 'GET', '/anonymous/session', bearer(newest.access_token))).status, 401, 'and so are its access tokens');
    assert.equal((await server.ctx.sessionStore.get(newest.session_id))?.revokedReason, reason);
  }

  for (const [name, use] of Object.entries(USES)) {
    it(`refuses a session token three rotations old at ${name} and revokes the session`, async () => {
      const { first, newest } = await rotatedGuest(strictClient, 3);
      const answer = await use(server, strictClient, first.session_token);
      if (name.startsWith('POST /oauth/revoke')) assert.equal(answer.status, 200, 'RFC 7009 §2.2 answers 200 whatever the token');
      else {
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body['error'], 'invalid_grant');
        assert.match(String(answer.body['error_description']), /already exchanged/);
      }
      await assertSessionDead(newest, strictClient, 'token_reused');
    });
  }

  it('lists every route that takes a session token in its body among the uses above, so a new one cannot skip this suite', async () => {
    const document = server.app.swagger() as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>;
    };
    const carriers: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const fields = Object.values(operation.requestBody?.content ?? {}).flatMap((media) => Object.keys(media.schema?.properties ?? {}));
        if (fields.some((field) => SESSION_TOKEN_FIELDS.includes(field))) carriers.push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.ok(carriers.length >= 6, `found only ${carriers.join(', ')}`);
    const covered = Object.keys(USES).map((name) => name.replace(/ \(.*\)$/, ''));
    const untested = carriers.filter((route) => !NOT_SESSION_TOKENS.includes(route) && !covered.includes(route));
    assert.deepEqual(untested, [], 'these routes take a session token but are not tested here');
  });

  it('refuses the immediate predecessor outside refresh_grace as reuse, and raises a token_reuse alert', async () => {
    const { first, newest } = await rotatedGuest(strictClient, 1);
    const read = await call(server, 'GET', '/anonymous/session', bearer(first.session_token));
    assert.equal(read.status, 400);
    await assertSessionDead(newest, strictClient, 'token_reused');
    const deadline = Date.now() + 5000;
    let alerts: unknown[] = [];
    while (alerts.length === 0 && Date.now() < deadline) {
      const listed = await fixture.admin.call('GET', `/admin/api/alerts?detector=token_reuse&entity_kind=session&entity_id=${newest.session_id}`);
      alerts = listed.body['alerts'] as unknown[];
      if (alerts.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(alerts.length, 1, 'the detector alerts on reuse wherever it is seen');
  });

  it('accepts the immediate predecessor within refresh_grace without rotating, and the session lives on', async () => {
    const { first, newest } = await rotatedGuest(graceClient, 1);
    const read = await call(server, 'GET', '/anonymous/session', bearer(first.session_token));
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body['session_id'], newest.session_id);
    assert.equal((await refreshGuest(server, graceClient, newest.session_token)).status, 200);
  });

  it('refuses the predecessor two rotations back even within refresh_grace', async () => {
    const { first, newest } = await rotatedGuest(graceClient, 2);
    assert.equal((await call(server, 'GET', '/anonymous/session', bearer(first.session_token))).body['error'], 'invalid_grant');
    await assertSessionDead(newest, graceClient, 'token_reused');
  });

  it('keeps the victim’s guest: a sign-up with an old token does not register it, and the newest token never converts', async () => {
    const { first, newest } = await rotatedGuest(strictClient, 3);
    const email = uniqueEmail('attacker');
    const seen = fixture.smtp.messages.length;
    const signup = await postJson(server, '/accounts/signup', {
      client_id: strictClient,
      email,
      password: 'attacker owns this',
      session_token: first.session_token,
    });
    assert.equal(signup.status, 400);
    assert.equal(
      fixture.smtp.messages.slice(seen).some((mail) => mail.to.includes(email)),
      false,
      'no code was mailed for the stolen guest',
    );
    assert.equal((await server.ctx.userStore.get(newest.user_id))?.isAnonymous ?? true, true);
  });

  it('refuses another client’s session token in a body and revokes it (RFC 6749 §6)', async () => {
    const { newest } = await rotatedGuest(strictClient, 0);
    const signup = await postJson(server, '/accounts/signup', { client_id: graceClient, email: uniqueEmail('other'), session_token: newest.session_token });
    assert.equal(signup.status, 400);
    assert.equal(signup.body['error'], 'invalid_grant');
    await assertSessionDead(newest, strictClient, 'client_mismatch');
  });
});

describeEachDatabase('a DPoP-bound session needs its proof on every use', (database) => {
  let fixture: MailedServer;
  let server: TestServer;
  let clientId: string;
  let cookieClient: string;
  let key: { publicKey: CryptoKey; privateKey: CryptoKey };
  let otherKey: { publicKey: CryptoKey; privateKey: CryptoKey };

  before(async () => {
    // Binding mechanics only: with detection on, a proof from another key also revokes the
    // session (test/anomaly-containment.test.ts covers that).
    fixture = await startMailedServer(database, { GUESTPASS_ANOMALY_DETECTION: 'false' });
    server = fixture.server;
    [clientId, cookieClient] = await Promise.all([fixture.admin.publicClient(), fixture.admin.publicClient({ transport: 'cookie' })]);
    [key, otherKey] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
  });
  after(() => fixture?.stop());

  async function boundGuest(): Promise<GuestTokens> {
    const created = await createGuest(server, { client_id: clientId }, { origin: ORIGIN, dpop: await dpopProof(key, 'POST', `${server.url}/anonymous/token`) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.token_type, 'DPoP');
    return created.body;
  }

  const withProof = async (method: string, path: string, token: string, signer = key) => ({
    authorization: `DPoP ${token}`,
    dpop: await dpopProof(signer, method, `${server.url}${path}`, token),
  });

  for (const [method, path, body] of [
    ['GET', '/anonymous/session', undefined],
    ['PATCH', '/anonymous/session/metadata', { theme: 'dark' }],
    ['POST', '/anonymous/convert', { email: 'nobody@example.com' }],
    ['POST', '/anonymous/logout', undefined],
  ] as const) {
    it(`refuses the bound session token at ${method} ${path} as a plain Bearer, and takes it as DPoP with a proof of the key`, async () => {
      const guest = await boundGuest();
      const plain = await call(server, method, path, bearer(guest.session_token), body);
      assert.equal(plain.status, 401, JSON.stringify(plain.body));
      assert.equal(plain.body['error'], 'invalid_token');
      const noProof = await call(server, method, path, { authorization: `DPoP ${guest.session_token}` }, body);
      assert.equal(noProof.status, 401);
      const wrongKey = await call(server, method, path, await withProof(method, path, guest.session_token, otherKey), body);
      assert.equal(wrongKey.status, 401);
      const accessAsBearer = await call(server, method, path, bearer(guest.access_token), body);
      assert.equal(accessAsBearer.status, 401, 'the bound access token needs its proof too');
      const proven = await call(server, method, path, await withProof(method, path, guest.session_token), body);
      assert.ok(proven.status < 300, `${proven.status} ${JSON.stringify(proven.body)}`);
    });
  }

  it('refuses the bound session token in a sign-up body without a proof of its key', async () => {
    const guest = await boundGuest();
    const signUp = (dpop?: string) =>
      postJson(server, '/accounts/signup', { client_id: clientId, email: uniqueEmail('bound'), session_token: guest.session_token }, dpop ? { dpop } : {});
    assert.equal((await signUp()).body['error'], 'invalid_dpop_proof');
    assert.equal((await signUp(await dpopProof(otherKey, 'POST', `${server.url}/accounts/signup`))).body['error'], 'invalid_dpop_proof');
    const proven = await signUp(await dpopProof(key, 'POST', `${server.url}/accounts/signup`));
    assert.equal(proven.status, 202, JSON.stringify(proven.body));
  });

  describe('in cookie mode', () => {
    it('refuses the bound session cookie without a proof of its key, and takes it with one', async () => {
      const created = await fetch(`${server.url}/anonymous/token`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json', dpop: await dpopProof(key, 'POST', `${server.url}/anonymous/token`) },
        body: JSON.stringify({ client_id: cookieClient }),
      });
      assert.equal(created.status, 200);
      const cookie = (created.headers.get('set-cookie') ?? '').split(';')[0]!;
      const plain = await call(server, 'GET', '/anonymous/session', { cookie });
      assert.equal(plain.status, 400);
      assert.equal(plain.body['error'], 'invalid_dpop_proof');
      const proven = await call(server, 'GET', '/anonymous/session', { cookie, dpop: await dpopProof(key, 'GET', `${server.url}/anonymous/session`) });
      assert.equal(proven.status, 200, JSON.stringify(proven.body));
    });
  });
});
