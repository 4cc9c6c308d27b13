import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { postJson } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { claimsOf, createGuest, GuestAdmin, json, ORIGIN, refreshGuest, type JsonResponse } from './helpers/guests.js';
import { startOidcIssuer, type OidcIssuer } from './helpers/oidc-issuer.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const DAY_MS = 86_400_000;
/** UTC midnights of the four days the population lives through. */
const D1 = Date.UTC(2026, 2, 2);
const D2 = D1 + DAY_MS;
const D3 = D2 + DAY_MS;
const D4 = D3 + DAY_MS;
const date = (day: number) => new Date(day).toISOString().slice(0, 10);

interface Person {
  userId: string;
  sessionToken: string;
}

interface Counts {
  total: number;
  guests?: number;
  registered?: number;
}

interface Report {
  from: string;
  until: string;
  active_users: Counts;
  days: ({ date: string; active_users: Counts } & Record<'guests_created' | 'converted' | 'merged' | 'culled', number>)[];
}

/**
 * A known population on two clients over four days, moved through by the server's clock, all
 * through the real endpoints (guests created and refreshed, promoted and merged by ID-token
 * linking against a real OpenID issuer's keys):
 *   D1  web: 200 guests created, 80 of them promoted (web's a0…a79); app: 100 guests, 40 promoted
 *   D2  web: guests a80…a139 and registered a0…a29 refresh; 5 new guests, 3 of them merged into
 *       a0…a2's accounts; app: guests b40…b59 and registered b0…b9 refresh
 *   D3  web: guests a80…a84 refresh; a cull removes 7 of web's guests and 3 of app's
 *   D4  app: guests b60…b99 refresh
 */
describeEachDatabase('active users and lifecycle counts per day', (database) => {
  let issuer: OidcIssuer;
  let server: TestServer;
  let clock = D1 + 3_600_000;
  let admin: { id: string; secret: string };
  const clients = { web: '', app: '' };
  const web: Person[] = [];
  const app: Person[] = [];
  const subjects = new Map<string, string>();

  /** An admin token fresh at the server's current time (they live an hour; the clock moves days). */
  const stats = async (query: string): Promise<JsonResponse<Report & { error?: string; error_description?: string }>> => {
    const token = await server.clientCredentialsToken(admin.id, admin.secret);
    return json(await fetch(`${server.url}/admin/api/stats/active-users?${query}`, { headers: { authorization: `Bearer ${token}` } }));
  };
  const report = async (query: string): Promise<Report> => {
    const answer = await stats(query);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };

  const newGuests = async (clientId: string, count: number): Promise<Person[]> =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const created = await createGuest(server, { client_id: clientId });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        return { userId: created.body.user_id, sessionToken: created.body.session_token };
      }),
    );

  /** Rotates each person's session token; the new one replaces the old. */
  const refresh = async (clientId: string, people: Person[]) => {
    await Promise.all(
      people.map(async (person) => {
        const refreshed = await refreshGuest(server, clientId, person.sessionToken);
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        person.sessionToken = refreshed.body.session_token;
      }),
    );
  };

  /** Links an ID token for `subject` with the person's guest session: promoted, or merged when the subject has an account. */
  const link = async (clientId: string, person: Person, subject: string, outcome: 'promoted' | 'merged') => {
    const seconds = Math.floor(clock / 1000);
    const idToken = await issuer.sign({
      iss: issuer.issuer,
      aud: issuer.clientId,
      sub: subject,
      email: `${subject}@example.test`,
      email_verified: true,
      iat: seconds,
      exp: seconds + 600,
    });
    const linked = await postJson(server, '/accounts/link/id-token', { client_id: clientId, id_token: idToken, session_token: person.sessionToken });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal(linked.body['outcome'], outcome);
    assert.equal(claimsOf(linked.body['access_token'] as string)['is_anonymous'], false);
    if (outcome === 'promoted') {
      subjects.set(person.userId, subject);
      person.sessionToken = linked.body['session_token'] as string;
    }
  };

  const linkAll = async (clientId: string, people: Person[], label: string) => {
    for (let start = 0; start < people.length; start += 20) {
      await Promise.all(people.slice(start, start + 20).map((person, n) => link(clientId, person, `${label}-${start + n}`, 'promoted')));
    }
  };

  before(async () => {
    issuer = await startOidcIssuer();
    server = await startTestServer({
      database,
      now: () => clock,
      env: {
        GUESTPASS_TRUSTED_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: issuer.clientId, require_nonce: false }]),
        GUESTPASS_ANOMALY_DETECTION: 'false',
        GUESTPASS_GUEST_RATE_LIMIT_PER_IP: '100000',
        GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: '100000',
        GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '100000',
        GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '100000',
        // Only the flush before each query writes, so what is stored when is deterministic.
        GUESTPASS_STATS_FLUSH_INTERVAL: '300',
      },
    });
    const created = await server.createClient(['--name', 'ops', '--type', 'confidential', '--admin']);
    admin = { id: created.client_id, secret: created.client_secret! };
    const guestAdmin = new GuestAdmin(server);
    clients.web = await guestAdmin.publicClient();
    clients.app = await guestAdmin.publicClient();

    // D1
    web.push(...(await newGuests(clients.web, 200)));
    app.push(...(await newGuests(clients.app, 100)));
    await linkAll(clients.web, web.slice(0, 80), 'web');
    await linkAll(clients.app, app.slice(0, 40), 'app');

    // D2
    clock = D2 + 7_200_000;
    await refresh(clients.web, [...web.slice(80, 140), ...web.slice(0, 30)]);
    await refresh(clients.app, [...app.slice(40, 60), ...app.slice(0, 10)]);
    const late = await newGuests(clients.web, 5);
    for (const [n, guest] of late.slice(0, 3).entries()) await link(clients.web, guest, subjects.get(web[n]!.userId)!, 'merged');

    // D3: the cull announces what it deleted, counts only (one event per batch).
    clock = D3 + 3_600_000;
    await refresh(clients.web, web.slice(80, 85));
    server.ctx.events.emit('user.culled', { time: clock, users: 6, sessions: 6, by_client: { [clients.web]: 5, [clients.app]: 1 } });
    server.ctx.events.emit('user.culled', { time: clock + 1000, users: 4, sessions: 9, by_client: { [clients.web]: 2, [clients.app]: 2 } });

    // D4
    clock = D4 + 3_600_000;
    await refresh(clients.app, app.slice(60, 100));
  });
  after(async () => {
    await server?.stop();
    await issuer?.stop();
  });

  it('should count distinct guests and registered users per day (DAU), per client and for all clients', async () => {
    const d1 = await report(`period=day&until=${date(D1)}`);
    // The 120 promoted users were guests earlier that day: counted in both kinds, once in total.
    assert.deepEqual(d1.active_users, { total: 300, guests: 300, registered: 120 });
    assert.deepEqual((await report(`period=day&until=${date(D1)}&client_id=${clients.web}`)).active_users, { total: 200, guests: 200, registered: 80 });
    assert.deepEqual((await report(`period=day&until=${date(D2)}&client_id=${clients.web}`)).active_users, { total: 95, guests: 65, registered: 30 });
    assert.deepEqual((await report(`period=day&until=${date(D2)}&client_id=${clients.app}`)).active_users, { total: 30, guests: 20, registered: 10 });
    assert.deepEqual((await report(`period=day&until=${date(D3)}`)).active_users, { total: 5, guests: 5, registered: 0 });
    assert.deepEqual((await report('period=day')).active_users, { total: 40, guests: 40, registered: 0 });
  });

  it('should count each user once over a week and a month (WAU, MAU), whatever the days they were active', async () => {
    const week = await report(`period=week&until=${date(D4)}`);
    assert.equal(week.from, date(D4 - 6 * DAY_MS));
    assert.deepEqual(week.active_users, { total: 305, guests: 305, registered: 120 });
    const month = await report(`period=month&until=${date(D4)}&client_id=${clients.app}`);
    assert.equal(month.days.length, 30);
    assert.deepEqual(month.active_users, { total: 100, guests: 100, registered: 40 });
    // The merged guests' accounts are a0…a2, already among web's 80 registered users.
    assert.deepEqual((await report(`period=month&client_id=${clients.web}`)).active_users, { total: 205, guests: 205, registered: 80 });
  });

  it('should count only the kind asked for with is_anonymous', async () => {
    assert.deepEqual((await report(`period=day&until=${date(D2)}&is_anonymous=false`)).active_users, { total: 40, registered: 40 });
    assert.deepEqual((await report(`period=week&is_anonymous=true&client_id=${clients.web}`)).active_users, { total: 205, guests: 205 });
  });

  it('should give guests created, converted, merged and culled per day as they happened', async () => {
    const all = await report(`period=week&until=${date(D4)}`);
    const byDate = new Map(all.days.map(({ date: day, active_users: _, ...counts }) => [day, counts]));
    assert.deepEqual(byDate.get(date(D1)), { guests_created: 300, converted: 120, merged: 0, culled: 0 });
    assert.deepEqual(byDate.get(date(D2)), { guests_created: 5, converted: 0, merged: 3, culled: 0 });
    assert.deepEqual(byDate.get(date(D3)), { guests_created: 0, converted: 0, merged: 0, culled: 10 });
    assert.deepEqual(byDate.get(date(D4)), { guests_created: 0, converted: 0, merged: 0, culled: 0 });
    assert.deepEqual(
      all.days.map((day) => day.active_users.total),
      [0, 0, 0, 300, 125, 5, 40],
    );

    const webDays = (await report(`period=week&until=${date(D4)}&client_id=${clients.web}`)).days.slice(3);
    assert.deepEqual(
      webDays.map(({ guests_created, converted, merged, culled }) => [guests_created, converted, merged, culled]),
      [
        [200, 80, 0, 0],
        [5, 0, 3, 0],
        [0, 0, 0, 7],
        [0, 0, 0, 0],
      ],
    );
  });

  it('should refuse unknown parameters, a missing period and dates that are not days it keeps', async () => {
    for (const query of ['period=year', 'until=2026-03-02', 'period=day&user_id=x', 'period=day&is_anonymous=yes', 'period=day&until=3/5/2026']) {
      const answer = await stats(query);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.error, 'invalid_request', query);
    }
    const notADay = await stats('period=day&until=2026-02-30');
    assert.equal(notADay.status, 400);
    assert.match(notADay.body.error_description!, /not a calendar date/);
    for (const until of [date(D4 + DAY_MS), date(D4 - 400 * DAY_MS)]) {
      const outside = await stats(`period=day&until=${until}`);
      assert.equal(outside.status, 400, until);
      assert.match(outside.body.error_description!, /must be between/);
    }
  });

  it('should ask for admin:read', async () => {
    const guest = await createGuest(server, { client_id: clients.web }, { origin: ORIGIN });
    const answer = await fetch(`${server.url}/admin/api/stats/active-users?period=day`, { headers: { authorization: `Bearer ${guest.body.access_token}` } });
    assert.equal(answer.status, 403);
    assert.equal((await fetch(`${server.url}/admin/api/stats/active-users?period=day`)).status, 401);
  });
});
