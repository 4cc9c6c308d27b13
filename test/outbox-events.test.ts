import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { OUTBOUND_EVENT_TYPES, type OutboundEvent } from '../src/events/outbox.js';
import type { DomainEvent } from '../src/events/types.js';
import { GuestCull } from '../src/sessions/cull.js';
import { postJson, register, registeredAccount, storedGuest, uniqueEmail } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, refreshGuest } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from './helpers/smtp-capture.js';

const DAY = 86_400_000;
const PASSWORD = 'correct horse battery staple';

const isOutbound = (event: DomainEvent): event is OutboundEvent => (OUTBOUND_EVENT_TYPES as readonly string[]).includes(event.type);

/** JSON with object keys sorted, so the same event compares equal whatever order its keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

describeEachDatabase('outbound events: staged in the transaction of their change, announced after it', (database) => {
  let server: TestServer;
  let smtp: SmtpCapture;
  let admin: GuestAdmin;
  let clientId: string;
  /** The server's clock runs this far ahead of the real one (the cull moves it). */
  let skew = 0;

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database,
      now: () => Date.now() + skew,
      env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000', GUESTPASS_CULL_INTERVAL: '0' },
    });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  /** The outbox rows, oldest first, whether or not a dispatcher has sent them yet. */
  const outboxRows = () => server.ctx.store.db.selectFrom('outbox_events').select(['id', 'type', 'payload']).orderBy('id').execute();

  /**
   * Runs `work` and returns the outbound events it committed to the outbox, oldest first,
   * after checking that the bus heard exactly those (each once, with the same payload): every
   * in-process subscriber still hears what it heard before the outbox.
   */
  async function outboundDuring(work: () => Promise<void>): Promise<OutboundEvent[]> {
    const { ctx } = server;
    // Alerts an earlier request set off are written, flushed and announced in its background;
    // let them finish first, or one could be staged before `known` and heard after it.
    await ctx.anomaly.alerts.settled();
    const known = new Set((await outboxRows()).map((row) => row.id));
    const heard: OutboundEvent[] = [];
    const off = ctx.events.onAny((event) => {
      if (isOutbound(event)) heard.push(event);
    });
    try {
      await work();
      // Containment and alerts are written in the background of the request that set them off.
      await ctx.anomaly.alerts.settled();
    } finally {
      off();
    }
    const staged = (await outboxRows()).filter((row) => !known.has(row.id));
    for (const row of staged) assert.equal(row.type, (JSON.parse(row.payload) as OutboundEvent).type, 'the type column is the payload’s');
    const events = staged.map((row) => JSON.parse(row.payload) as OutboundEvent);
    assert.deepEqual(events.map(canonical).sort(), heard.map(canonical).sort(), 'the bus heard exactly what the outbox holds');
    return events;
  }

  const ofType = <K extends OutboundEvent['type']>(events: OutboundEvent[], type: K) =>
    events.filter((event): event is Extract<OutboundEvent, { type: K }> => event.type === type);

  it('should stage user.converted with the promotion of a guest', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    let promoted!: Record<string, unknown>;
    const events = await outboundDuring(async () => {
      promoted = (await register(server, smtp, { clientId, email: uniqueEmail('promoted'), password: PASSWORD, sessionToken: guest.session_token })).body;
    });
    assert.equal(promoted['outcome'], 'promoted');
    const [converted, ...more] = ofType(events, 'user.converted');
    assert.deepEqual(more, [], 'one user.converted');
    assert.deepEqual(
      [converted?.subject, converted?.client_id, converted?.method, converted?.session_id],
      [guest.user_id, clientId, 'email', guest.session_id],
    );
  });

  it('should stage user.merged and the guest’s session.revoked in the merge’s transaction, in that order', async () => {
    const target = await registeredAccount(server, smtp, clientId, 'merged-into', PASSWORD);
    const guest = await storedGuest(server, clientId);
    const events = await outboundDuring(async () => {
      const login = await postJson(server, '/accounts/login', {
        client_id: clientId,
        email: target.email,
        password: PASSWORD,
        session_token: guest.sessionToken,
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
    });
    const merged = ofType(events, 'user.merged');
    assert.equal(merged.length, 1, 'one user.merged');
    assert.deepEqual([merged[0]?.guest_id, merged[0]?.account_id, merged[0]?.subject, merged[0]?.method], [guest.userId, target.id, target.id, 'login']);
    const revoked = ofType(events, 'session.revoked');
    assert.deepEqual(
      revoked.map((event) => [event.session_id, event.reason, event.subject]),
      [[guest.sessionId, 'merged', guest.userId]],
    );
    assert.deepEqual(
      events.filter((event) => event.type === 'user.merged' || event.type === 'session.revoked').map((event) => event.type),
      ['session.revoked', 'user.merged'],
      'the revocations are written first, so a receiver never hears of the merge before the guest’s sessions ended',
    );
  });

  it('should leave no outbox row and announce nothing when the merge rolls back', async () => {
    const { ctx } = server;
    const target = await registeredAccount(server, smtp, clientId, 'rolled-back', PASSWORD);
    const guest = await storedGuest(server, clientId);
    const events = await outboundDuring(async () => {
      await assert.rejects(
        ctx.accounts.store.merge({
          guest: { userId: guest.userId, clientId, sessionId: guest.sessionId },
          accountId: target.id,
          now: ctx.now(),
          mergeFunction: (current) => current.metadata,
          // The last statement of the merge's transaction fails, after the revocations and the
          // merge's own event were staged through it.
          stage: async (trx) => {
            const staged = await ctx.outbox.stage(trx, [
              { type: 'user.merged', time: ctx.now(), subject: target.id, guest_id: guest.userId, account_id: target.id, method: 'login' },
            ]);
            await sql`select no_such_column from outbox_events`.execute(trx);
            return staged;
          },
        }),
      );
    });
    assert.deepEqual(events, []);
    assert.equal((await ctx.accounts.store.get(guest.userId))?.mergedInto, null, 'the guest is still a guest');
    assert.equal((await ctx.sessionStore.get(guest.sessionId))?.revokedAt, null, 'and its session still live');
  });

  it('should stage session.revoked with each revocation that has no transaction of its own', async () => {
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const unknownSession = '01890000-0000-7000-8000-00000000abcd';
    const events = await outboundDuring(async () => {
      const logout = await fetch(`${server.url}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${guest.access_token}` } });
      assert.equal(logout.status, 204);
      assert.equal((await admin.call('POST', `/admin/api/sessions/${unknownSession}/revoke`)).status, 200);
      // Already revoked: nothing new is written, so nothing is staged or announced.
      assert.equal((await admin.call('POST', `/admin/api/sessions/${unknownSession}/revoke`)).status, 200);
    });
    assert.deepEqual(
      ofType(events, 'session.revoked').map((event) => [event.session_id, event.reason, event.subject ?? null, event.client_id ?? null]),
      [
        [guest.session_id, 'logout', guest.user_id, clientId],
        [unknownSession, 'revoked_by_admin', null, null],
      ],
    );
  });

  it('should stage user.deleted in the erasure’s last transaction, with the merged guests counted', async () => {
    const person = await registeredAccount(server, smtp, clientId, 'erased', PASSWORD);
    const guest = await storedGuest(server, clientId);
    const login = await postJson(server, '/accounts/login', {
      client_id: clientId,
      email: person.email,
      password: PASSWORD,
      session_token: guest.sessionToken,
    });
    assert.equal(login.status, 200);
    const events = await outboundDuring(async () => {
      assert.equal((await admin.call('DELETE', `/admin/api/users/${person.id}`)).status, 200);
    });
    const deleted = ofType(events, 'user.deleted');
    assert.deepEqual(
      deleted.map((event) => [event.subject, event.merged_guests]),
      [[person.id, 1]],
    );
    const revoked = ofType(events, 'session.revoked');
    assert.ok(
      revoked.some((event) => event.session_id === login.body['session_id']),
      'the person’s sessions are cut off first',
    );
    assert.deepEqual(new Set(revoked.map((event) => [event.reason, event.subject].join())), new Set([`erased,${person.id}`]));
    assert.equal(events.at(-1)?.type, 'user.deleted', 'and the erasure is announced last');
  });

  it('should stage client.secret_rotated with the rotation', async () => {
    const client = await admin.confidentialClient();
    let expiresAt!: unknown;
    const events = await outboundDuring(async () => {
      const rotated = await admin.call('POST', `/admin/api/clients/${client.id}/rotate-secret`, { overlap_seconds: 60 });
      assert.equal(rotated.status, 200);
      expiresAt = rotated.body['old_secrets_expire_at'];
    });
    assert.deepEqual(
      ofType(events, 'client.secret_rotated').map((event) => [event.client_id, event.subject, event.old_secret_expires_at]),
      [[client.id, client.id, expiresAt]],
    );
  });

  it('should stage alert.raised with a new alert, and nothing for its repeats', async () => {
    const strictClientId = await admin.publicClient({ refresh_grace: 0 });
    const guest = (await createGuest(server, { client_id: strictClientId })).body;
    assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).status, 200);
    const events = await outboundDuring(async () => {
      assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).body.error, 'invalid_grant');
    });
    const raised = ofType(events, 'alert.raised').filter((event) => event.detector === 'token_reuse');
    assert.deepEqual(
      raised.map((event) => [event.entity_kind, event.entity_id, event.action]),
      [['session', guest.session_id, 'revoke']],
    );
    const stored = await admin.call('GET', `/admin/api/alerts/${raised[0]!.alert_id}`);
    assert.equal(stored.status, 200, 'the announced id is the stored alert’s');
    const repeats = await outboundDuring(async () => {
      assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).body.error, 'invalid_grant');
    });
    assert.deepEqual(ofType(repeats, 'alert.raised'), [], 'a repeat is folded into the stored alert');
  });

  // Last: it moves the server's clock two days on.
  it('should stage each cull batch’s user.culled in the batch’s transaction, and nothing for a batch that rolled back', async () => {
    const { ctx } = server;
    const cullClient = await admin.publicClient({ session_ttl: 86400 });
    const guests: string[] = [];
    for (let i = 0; i < 3; i += 1) guests.push((await createGuest(server, { client_id: cullClient, metadata: { n: i } })).body.user_id);
    skew = 2 * DAY;
    const remaining = async () => (await ctx.store.db.selectFrom('users').select('id').where('id', 'in', guests).execute()).length;

    const failed = await outboundDuring(async () => {
      const crashing = new GuestCull({
        database: ctx.store,
        sessions: ctx.sessionStore,
        outbox: ctx.outbox,
        metrics: ctx.metrics,
        now: ctx.now,
        listClients: () => ctx.clientStore.list(),
        peers: () => ({
          forget: [
            async () => {
              throw new Error('the node died in the middle of a batch');
            },
          ],
          revocations: { count: async () => 0, purge: async () => 0 },
          emailProofs: { count: async () => 0, purge: async () => 0 },
        }),
        pauseMs: 0,
      });
      await assert.rejects(crashing.run(), /the node died/);
    });
    assert.deepEqual(failed, []);
    assert.equal(await remaining(), guests.length, 'the batch rolled back');

    // The admin token was issued two days ago by the server's clock: a fresh admin.
    const later = new GuestAdmin(server);
    let report!: Record<string, unknown>;
    const events = await outboundDuring(async () => {
      const culled = await later.call('POST', '/admin/api/guests/cull', {});
      assert.equal(culled.status, 200, JSON.stringify(culled.body));
      report = culled.body;
    });
    assert.equal(await remaining(), 0);
    const culled = ofType(events, 'user.culled');
    assert.equal(culled.length, 1, 'one batch, one user.culled');
    assert.deepEqual([culled[0]?.users, culled[0]?.by_client[cullClient]], [report['users'], guests.length]);
  });
});
