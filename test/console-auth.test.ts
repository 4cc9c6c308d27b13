import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { totpCode } from '../src/operators/totp.js';
import { postJson, registeredAccount } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin, json } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';

const PASSWORD = 'console correct horse battery';
const IDLE_S = 120;
const LIFETIME_S = 600;
const ACCOUNT_LIMIT = 20;

/** What a browser holds after signing in: the cookie and the CSRF token the body gave it. */
interface Console {
  cookie: string;
  token: string;
  csrf: string;
  body: Record<string, unknown>;
}

/**
 * Operators sign in to the admin API as people: `guestpass admins`, the
 * console session cookie with CSRF, idle and absolute timeouts, TOTP, roles, the write log, and
 * admin tokens working as before. The server's clock is a variable the tests move.
 */
describeEachDatabase('console operators', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let web: string;
  let clock = Date.now();
  const logLines: string[] = [];
  const accounts: Record<'owner' | 'viewer' | 'stranger' | 'cli' | 'totp', { id: string; email: string }> = {} as never;

  const call = async (method: string, path: string, options: { cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    json(
      await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(options.cookie ? { cookie: options.cookie } : {}),
          ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      }),
    );

  const signInRaw = (email: string, password = PASSWORD, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    call('POST', '/admin/api/session', { body: { email, password, ...extra }, headers });

  const signIn = async (email: string, extra: Record<string, unknown> = {}): Promise<Console> => {
    const response = await signInRaw(email, PASSWORD, extra);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const setCookie = response.headers.get('set-cookie') ?? '';
    const token = /^gp_console=([^;]+);/.exec(setCookie)?.[1];
    assert.ok(token, setCookie);
    return { cookie: `gp_console=${token}`, token, csrf: response.body['csrf_token'] as string, body: response.body };
  };

  const auditOf = async (query: string) => {
    const page = await admin.call('GET', `/admin/api/audit?${query}`);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    return page.body['events'] as Record<string, unknown>[];
  };

  before(async () => {
    smtp = await startSmtpCapture();
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    server = await startTestServer({
      database,
      now: () => clock,
      logger: { level: 'debug', stream },
      env: {
        GUESTPASS_SMTP_URL: smtp.url,
        GUESTPASS_CULL_INTERVAL: '0',
        GUESTPASS_CONSOLE_IDLE_TIMEOUT: String(IDLE_S),
        GUESTPASS_CONSOLE_SESSION_LIFETIME: String(LIFETIME_S),
        // The tests move the clock by about 15 minutes: the admin token outlives that, and the
        // limits are the throttling test's to reach.
        GUESTPASS_ACCESS_TOKEN_TTL: '3600',
        GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '1000',
        GUESTPASS_LOGIN_RATE_LIMIT_PER_ACCOUNT: String(ACCOUNT_LIMIT),
      },
    });
    admin = new GuestAdmin(server);
    web = await admin.publicClient();
    for (const label of ['owner', 'viewer', 'stranger', 'cli', 'totp'] as const) accounts[label] = await registeredAccount(server, smtp, web, label, PASSWORD);
    await server.ctx.operators.add(accounts.owner.email, 'admin');
    await server.ctx.operators.add(accounts.viewer.email, 'viewer');
    await server.ctx.operators.add(accounts.totp.email, 'admin');
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  it('should add, list and remove operators with guestpass admins, and end a removed operator’s sessions', async () => {
    const { email, id } = accounts.cli;
    await assert.rejects(server.cli(['admins', 'add', 'nobody-here@example.com']), /No registered account has this e-mail address/);
    assert.match(await server.cli(['admins', 'add', email, '--role', 'viewer']), /is now an operator with the viewer role/);
    const listed = JSON.parse(await server.cli(['admins', 'list', '--json'])) as { operators: { id: string; role: string; totp_enabled: boolean }[] };
    const entry = listed.operators.find((operator) => operator.id === id);
    assert.deepEqual([entry?.role, entry?.totp_enabled], ['viewer', false]);
    assert.equal(listed.operators.length, 4);
    assert.ok(!JSON.stringify(listed).includes('@'), 'the list shows ids, not addresses');

    const session = await signIn(email);
    assert.equal((session.body['operator'] as { role: string }).role, 'viewer');
    assert.match(await server.cli(['admins', 'remove', email]), /is no longer an operator/);
    assert.equal((await call('GET', '/admin/api/session', { cookie: session.cookie })).status, 401);
    // Each command is a process of its own (seconds): what follows is checked in-process.
    assert.ok(!(await server.ctx.operators.list()).some((operator) => operator.userId === id));
    await assert.rejects(server.ctx.operators.remove(email), /not a console operator/);
    await assert.rejects(server.cli(['admins', 'add', email, '--role', 'owner']), /--role must be admin or viewer/);
    assert.deepEqual(
      (await auditOf(`subject=${id}&order=oldest`)).map((event) => event['type']).filter((type) => String(type).startsWith('operator.')),
      ['operator.added', 'operator.signed_in', 'operator.removed'],
    );
  });

  it('should answer an unknown address, a wrong password and a non-operator with the same access_denied', async () => {
    const answers = [
      await signInRaw('nobody-at-all@example.com'),
      await signInRaw(accounts.owner.email, 'not the right password'),
      await signInRaw(accounts.stranger.email),
      await signInRaw('not an address'),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('set-cookie'), null);
    }
    assert.deepEqual(new Set(answers.map((answer) => JSON.stringify(answer.body))).size, 1);
    assert.equal(answers[0]?.body['error'], 'access_denied');
    const failures = await auditOf('type=operator.sign_in_failed&limit=10');
    assert.deepEqual(
      failures
        .slice(0, 4)
        .map((event) => event['reason'])
        .sort(),
      ['bad_credentials', 'bad_credentials', 'bad_credentials', 'not_operator'],
    );
    assert.ok(failures.every((event) => typeof event['account_key'] === 'string' && !JSON.stringify(event).includes('@')));
  });

  it('should sign in with an HttpOnly, SameSite=Strict, /admin-scoped cookie whose token is stored only hashed', async () => {
    const response = await signInRaw(accounts.owner.email);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const setCookie = response.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^gp_console=[A-Za-z0-9_-]{43}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${LIFETIME_S}$`));
    const body = response.body as { operator: { id: string; role: string; totp_enabled: boolean }; csrf_token: string; idle_timeout_seconds: number };
    assert.deepEqual(body.operator, { id: accounts.owner.id, role: 'admin', totp_enabled: false });
    assert.equal(body.idle_timeout_seconds, IDLE_S);
    assert.match(body.csrf_token, /^[A-Za-z0-9_-]{43}$/);

    const token = /^gp_console=([^;]+)/.exec(setCookie)![1]!;
    const rows = await server.ctx.store.db.selectFrom('console_sessions').selectAll().where('user_id', '=', accounts.owner.id).execute();
    const hash = createHash('sha256').update(token).digest('hex');
    assert.ok(rows.some((row) => row.token_hash === hash));
    assert.ok(!JSON.stringify(rows).includes(token));

    const again = await call('GET', '/admin/api/session', { cookie: `gp_console=${token}` });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, body, 'GET answers the same operator and the same CSRF token');
    // The session lives in the database, not in this process: every node sees it, and deleting the row ends it.
    await server.ctx.store.db.deleteFrom('console_sessions').where('token_hash', '=', hash).execute();
    const ended = await call('GET', '/admin/api/session', { cookie: `gp_console=${token}` });
    assert.deepEqual([ended.status, ended.body['error']], [401, 'invalid_token']);
    const none = await call('GET', '/admin/api/session');
    assert.deepEqual([none.status, none.body['error']], [401, 'invalid_token']);
  });

  it('should refuse sign-in and cookie requests that a browser sends from another site', async () => {
    const fromElsewhere = await signInRaw(accounts.owner.email, PASSWORD, {}, { origin: 'https://evil.example' });
    assert.deepEqual([fromElsewhere.status, fromElsewhere.body['error']], [403, 'csrf_failed']);
    const session = await signIn(accounts.owner.email);
    const foreign: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ];
    for (const headers of foreign) {
      const read = await call('GET', '/admin/api/clients', { cookie: session.cookie, headers });
      assert.deepEqual([read.status, read.body['error']], [403, 'csrf_failed'], JSON.stringify(headers));
    }
    const sameOrigin = await call('GET', '/admin/api/clients', { cookie: session.cookie, headers: { origin: server.url, 'sec-fetch-site': 'same-origin' } });
    assert.equal(sameOrigin.status, 200);
  });

  it('should let an admin operator write with the CSRF token, and refuse a write without it or from another origin', async () => {
    const session = await signIn(accounts.owner.email);
    const newClient = { name: 'made in the console', type: 'public', allowed_origins: ['https://shop.example'] };
    const withoutCsrf = await call('POST', '/admin/api/clients', { cookie: session.cookie, body: newClient });
    assert.deepEqual([withoutCsrf.status, withoutCsrf.body['error']], [403, 'csrf_failed']);
    const wrongCsrf = await call('POST', '/admin/api/clients', { cookie: session.cookie, csrf: `${session.csrf.slice(0, -2)}AA`, body: newClient });
    assert.equal(wrongCsrf.status, 403);
    const crossOrigin = await call('POST', '/admin/api/clients', {
      cookie: session.cookie,
      csrf: session.csrf,
      body: newClient,
      headers: { origin: 'https://evil.example' },
    });
    assert.deepEqual([crossOrigin.status, crossOrigin.body['error']], [403, 'csrf_failed']);
    const created = await call('POST', '/admin/api/clients', { cookie: session.cookie, csrf: session.csrf, body: newClient, headers: { origin: server.url } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const clientId = created.body['client_id'] as string;
    const deleted = await call('DELETE', `/admin/api/clients/${clientId}`, { cookie: session.cookie, csrf: session.csrf });
    assert.equal(deleted.status, 204);

    const actions = await auditOf(`type=admin.action&subject=${accounts.owner.id}&order=oldest`);
    assert.deepEqual(
      actions.map(({ actor_kind, method, route, status, target_id }) => ({ actor_kind, method, route, status, target_id })),
      [
        { actor_kind: 'operator', method: 'POST', route: '/admin/api/clients', status: 201, target_id: undefined },
        { actor_kind: 'operator', method: 'DELETE', route: '/admin/api/clients/:id', status: 204, target_id: clientId },
      ],
      'only the successful writes, with the operator’s id',
    );
  });

  it('should let a viewer read but not write', async () => {
    const session = await signIn(accounts.viewer.email);
    assert.equal((await call('GET', '/admin/api/clients', { cookie: session.cookie })).status, 200);
    assert.equal((await call('GET', '/admin/api/audit?limit=1', { cookie: session.cookie })).status, 200);
    const write = await call('POST', '/admin/api/clients', { cookie: session.cookie, csrf: session.csrf, body: { name: 'x', type: 'public' } });
    assert.deepEqual([write.status, write.body['error']], [403, 'insufficient_scope']);
    assert.deepEqual(await auditOf(`type=admin.action&subject=${accounts.viewer.id}`), []);
  });

  it('should keep admin access tokens working as before, recorded as the client’s writes', async () => {
    const created = await admin.call('POST', '/admin/api/clients', { name: 'by token', type: 'public' });
    assert.equal(created.status, 201);
    const session = await signIn(accounts.viewer.email);
    // An API client's Authorization wins over a cookie that rides along.
    const withBoth = await json(
      await fetch(`${server.url}/admin/api/clients/${created.body['client_id'] as string}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await admin.adminToken()}`, cookie: session.cookie },
      }),
    );
    assert.equal(withBoth.status, 204);
    const byToken = (await auditOf('type=admin.action&limit=5')).filter((event) => event['actor_kind'] === 'client');
    assert.ok(byToken.length >= 2);
    assert.ok(byToken.every((event) => typeof event['subject'] === 'string' && event['subject'] !== accounts.viewer.id));
    assert.equal((await fetch(`${server.url}/admin/api/clients`)).status, 401);
  });

  it('should sign out: the session is deleted and the cookie cleared', async () => {
    const session = await signIn(accounts.owner.email);
    assert.equal((await call('DELETE', '/admin/api/session', { cookie: session.cookie })).status, 403, 'sign-out needs the CSRF token too');
    const out = await call('DELETE', '/admin/api/session', { cookie: session.cookie, csrf: session.csrf });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^gp_console=; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=0$/);
    assert.equal((await call('GET', '/admin/api/session', { cookie: session.cookie })).status, 401);
    assert.equal((await call('DELETE', '/admin/api/session', { cookie: session.cookie })).status, 204, 'signing out again only clears the cookie');
    assert.equal((await auditOf(`type=operator.signed_out&subject=${accounts.owner.id}`)).length, 1);
  });

  it('should end a session idle past the timeout, slide it with activity, and end it at its absolute lifetime', async () => {
    const idle = await signIn(accounts.owner.email);
    clock += (IDLE_S + 1) * 1000;
    assert.equal((await call('GET', '/admin/api/session', { cookie: idle.cookie })).status, 401);

    const active = await signIn(accounts.owner.email);
    const started = clock;
    while (clock - started < (LIFETIME_S - 100) * 1000) {
      clock += 100_000;
      assert.equal((await call('GET', '/admin/api/clients', { cookie: active.cookie })).status, 200, `active after ${(clock - started) / 1000} s`);
    }
    clock = started + LIFETIME_S * 1000;
    assert.equal((await call('GET', '/admin/api/clients', { cookie: active.cookie })).status, 401, 'past the absolute lifetime');
    assert.ok((await server.ctx.operators.purgeExpired()) >= 2);
  });

  it('should enrol TOTP, then require a code at sign-in and accept each code once', async () => {
    const { email, id } = accounts.totp;
    const session = await signIn(email);
    const enrol = await call('POST', '/admin/api/session/totp', { cookie: session.cookie, csrf: session.csrf });
    assert.equal(enrol.status, 200, JSON.stringify(enrol.body));
    const secret = enrol.body['secret'] as string;
    assert.match(enrol.body['otpauth_uri'] as string, /^otpauth:\/\/totp\/.+secret=[A-Z2-7]+/);
    assert.equal(((await call('GET', '/admin/api/session', { cookie: session.cookie })).body['operator'] as { totp_enabled: boolean }).totp_enabled, false);

    const wrong = await call('POST', '/admin/api/session/totp/confirm', { cookie: session.cookie, csrf: session.csrf, body: { code: '000000' } });
    assert.deepEqual([wrong.status, wrong.body['error']], [400, 'invalid_grant']);
    const confirmCode = totpCode(secret, clock);
    assert.equal(
      (await call('POST', '/admin/api/session/totp/confirm', { cookie: session.cookie, csrf: session.csrf, body: { code: confirmCode } })).status,
      204,
    );
    assert.equal((await call('POST', '/admin/api/session/totp', { cookie: session.cookie, csrf: session.csrf })).status, 409, 'no second enrolment while on');

    const missing = await signInRaw(email);
    assert.deepEqual([missing.status, missing.body['error']], [401, 'mfa_required']);
    const wrongPasswordWithCode = await signInRaw(email, 'not the right password', { totp_code: totpCode(secret, clock + 30_000) });
    assert.deepEqual([wrongPasswordWithCode.status, wrongPasswordWithCode.body['error']], [401, 'access_denied']);
    const replayed = await signInRaw(email, PASSWORD, { totp_code: confirmCode });
    assert.deepEqual([replayed.status, replayed.body['error']], [401, 'access_denied'], 'the code that confirmed cannot sign in');
    clock += 30_000;
    const code = totpCode(secret, clock);
    const withCode = await signIn(email, { totp_code: code });
    assert.equal((withCode.body['operator'] as { totp_enabled: boolean }).totp_enabled, true);
    const again = await signInRaw(email, PASSWORD, { totp_code: code });
    assert.deepEqual([again.status, again.body['error']], [401, 'access_denied'], 'a code is accepted once');

    clock += 30_000;
    const off = await call('DELETE', '/admin/api/session/totp', { cookie: withCode.cookie, csrf: withCode.csrf, body: { code: totpCode(secret, clock) } });
    assert.equal(off.status, 204, JSON.stringify(off.body));
    await signIn(email);
    const types = (await auditOf(`subject=${id}&order=oldest&limit=50`)).map((event) => event['type']);
    assert.ok(types.includes('operator.totp_enabled') && types.includes('operator.totp_disabled'));
    assert.deepEqual(
      (await auditOf(`type=operator.sign_in_failed&subject=${id}`)).map((event) => event['reason']),
      ['totp_invalid', 'totp_invalid'],
    );
  });

  it('should count console sign-ins against the account login limits', async () => {
    const email = `throttled-${Date.now()}@example.com`;
    // The per-account limit is shared with POST /accounts/login: attempts at either door add up.
    for (let attempt = 0; attempt < ACCOUNT_LIMIT; attempt++) await postJson(server, '/accounts/login', { client_id: web, email, password: 'wrong password!' });
    const throttled = await signInRaw(email);
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    assert.equal((await auditOf('type=operator.sign_in_failed&limit=1'))[0]?.['reason'], 'throttled');
  });

  it('should document the console routes and both credentials in OpenAPI', async () => {
    const document = (await (await fetch(`${server.url}/docs`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; security?: unknown }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.deepEqual(document.paths['/admin/api/session']?.['post']?.tags, ['console']);
    assert.ok(document.paths['/admin/api/session/totp/confirm']);
    assert.deepEqual(document.paths['/admin/api/clients']?.['get']?.security, [{ bearer: [] }, { console: [] }]);
    assert.ok(document.components.securitySchemes['console']);
  });

  it('should never log an e-mail address, a password, a cookie token or a CSRF token', async () => {
    const session = await signIn(accounts.owner.email);
    await call('GET', '/admin/api/clients', { cookie: session.cookie });
    await signInRaw(accounts.owner.email, 'a wrong password for the log');
    const log = logLines.join('\n');
    assert.ok(log.length > 0, 'the server logged requests');
    for (const secret of [...Object.values(accounts).map((account) => account.email), PASSWORD, 'a wrong password for the log', session.token, session.csrf])
      assert.ok(!log.includes(secret), `the log holds ${secret.slice(0, 6)}…`);
    const everything = JSON.stringify(await auditOf('limit=500'));
    for (const account of Object.values(accounts)) assert.ok(!everything.includes(account.email), 'the event log holds no address');
  });
});
