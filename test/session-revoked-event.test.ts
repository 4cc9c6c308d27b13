import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { generateKeyPair } from 'jose';
import type { DomainEvent } from '../src/events/types.js';
import { nextMailTo, postJson, register, startMailedServer, uniqueEmail, type MailedServer } from './helpers/accounts.js';
import { describeEachDatabase } from './helpers/databases.js';
import { dpopProof } from './helpers/dpop.js';
import { createGuest, refreshGuest, type GuestTokens } from './helpers/guests.js';
import { codeIn } from './helpers/smtp-capture.js';

type Revoked = Extract<DomainEvent, { type: 'session.revoked' }>;

/** The one shape of `session.revoked`, whoever revokes; `network` comes only with the holder's own request. */
const KEYS = ['client_id', 'reason', 'session_id', 'subject', 'time', 'type'];
const keysOf = (event: Revoked) =>
  Object.keys(event)
    .filter((key) => key !== 'network')
    .sort();

describeEachDatabase('session.revoked: one owner, one shape', (database) => {
  let fixture: MailedServer;
  /** Strict single use, so a replayed predecessor is reuse. */
  let strictClientId: string;
  before(async () => {
    fixture = await startMailedServer(database);
    strictClientId = await fixture.admin.publicClient({ refresh_grace: 0 });
  });
  after(() => fixture?.stop());

  /**
   * Every `session.revoked` emitted while `work` runs and until the containment it set off has
   * been written (containment revokes in the background of the request that tipped it).
   */
  async function revokedDuring(work: () => Promise<void>): Promise<Revoked[]> {
    const seen: Revoked[] = [];
    const off = fixture.server.ctx.events.on('session.revoked', (event) => seen.push(event));
    try {
      await work();
      await fixture.server.ctx.anomaly.alerts.settled();
    } finally {
      off();
    }
    return seen;
  }

  interface Expected {
    id: string;
    userId: string;
    clientId: string;
    /** Whether the revoking request presented this session, so the event carries its network. */
    network: boolean;
  }

  /** Exactly one event per expected session, each in the one shape, with the reason given. */
  function assertOnePerSession(events: Revoked[], sessions: Expected[], reason: string): void {
    assert.deepEqual(events.map((event) => event.session_id).sort(), sessions.map((session) => session.id).sort(), 'one session.revoked per session');
    for (const event of events) {
      const session = sessions.find((candidate) => candidate.id === event.session_id)!;
      assert.deepEqual(keysOf(event), KEYS);
      assert.deepEqual([event.reason, event.subject, event.client_id], [reason, session.userId, session.clientId]);
      assert.equal(event.network !== undefined, session.network, `network ${session.network ? 'from the holder’s request' : 'absent'} (${reason})`);
    }
  }
  const sessionOf = (tokens: GuestTokens | Record<string, unknown>, clientId: string, network: boolean): Expected => ({
    id: tokens['session_id'] as string,
    userId: tokens['user_id'] as string,
    clientId,
    network,
  });

  it('should announce a logout once', async () => {
    const { server, clientId } = fixture;
    const guest = (await createGuest(server, { client_id: clientId })).body;
    const events = await revokedDuring(async () => {
      const logout = await fetch(`${server.url}/anonymous/logout`, { method: 'POST', headers: { authorization: `Bearer ${guest.access_token}` } });
      assert.equal(logout.status, 204);
    });
    assertOnePerSession(events, [sessionOf(guest, clientId, true)], 'logout');
  });

  it('should announce a reused session token once, though containment revokes on reuse too', async () => {
    const { server } = fixture;
    const guest = (await createGuest(server, { client_id: strictClientId })).body;
    assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).status, 200);
    const events = await revokedDuring(async () => {
      assert.equal((await refreshGuest(server, strictClientId, guest.session_token)).body.error, 'invalid_grant');
    });
    assertOnePerSession(events, [sessionOf(guest, strictClientId, true)], 'token_reused');
  });

  it('should announce an admin’s revocation once, without the admin’s network', async () => {
    const { server, admin, clientId } = fixture;
    const guest = (await createGuest(server, { client_id: clientId })).body;
    assert.equal((await refreshGuest(server, clientId, guest.session_token)).status, 200, 'the session gets its row');
    const events = await revokedDuring(async () => {
      assert.equal((await admin.call('POST', `/admin/api/sessions/${guest.session_id}/revoke`)).status, 200);
      assert.equal((await admin.call('POST', `/admin/api/sessions/${guest.session_id}/revoke`)).status, 200, 'revoking again announces nothing');
    });
    assertOnePerSession(events, [sessionOf(guest, clientId, false)], 'revoked_by_admin');
  });

  it('should announce each session of an account once when its password is reset', async () => {
    const { server, smtp, clientId } = fixture;
    const email = uniqueEmail('revoked-reset');
    const verified = await register(server, smtp, { clientId, email, password: 'the old passphrase here' });
    const login = await postJson(server, '/accounts/login', { client_id: clientId, email, password: 'the old passphrase here' });
    assert.equal(login.status, 200);
    const seen = smtp.messages.length;
    assert.equal((await postJson(server, '/accounts/password/forgot', { client_id: clientId, email })).status, 202);
    const code = codeIn(await nextMailTo(smtp, email, seen));
    const events = await revokedDuring(async () => {
      const reset = await postJson(server, '/accounts/password/reset', { email, code, password: 'a brand new passphrase' });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
    });
    assertOnePerSession(events, [sessionOf(verified.body, clientId, false), sessionOf(login.body, clientId, false)], 'password_reset');
  });

  it('should announce a merged guest’s session once, with or without a stored row', async () => {
    const { server, smtp, clientId } = fixture;
    const email = uniqueEmail('revoked-merge');
    await register(server, smtp, { clientId, email, password: 'the account passphrase' });
    const stored = (await createGuest(server, { client_id: clientId })).body;
    const rotated = await refreshGuest(server, clientId, stored.session_token);
    assert.equal(rotated.status, 200, 'this guest’s session has a row');
    const rowless = (await createGuest(server, { client_id: clientId })).body;
    for (const [guest, sessionToken] of [
      [stored, rotated.body.session_token],
      [rowless, rowless.session_token],
    ] as const) {
      const events = await revokedDuring(async () => {
        const login = await postJson(server, '/accounts/login', {
          client_id: clientId,
          email,
          password: 'the account passphrase',
          session_token: sessionToken,
        });
        assert.equal(login.body['merged_guest_id'], guest.user_id, JSON.stringify(login.body));
      });
      assertOnePerSession(events, [sessionOf(guest, clientId, true)], 'merged');
    }
  });

  it('should announce every session of a merged guest once, and only the presented one with the request’s network', async () => {
    const { server, smtp, admin, clientId } = fixture;
    const email = uniqueEmail('revoked-merge-two');
    await register(server, smtp, { clientId, email, password: 'the account passphrase' });
    // A confidential client may bring its own user id: one guest, two sessions.
    const backend = await admin.confidentialClient();
    const userId = `shopper-${randomUUID().slice(0, 8)}`;
    const asBackend = { client_id: backend.id, client_secret: backend.secret, user_id: userId };
    const elsewhere = (await createGuest(server, { ...asBackend, metadata: { cart: ['pear'] } }, {})).body;
    const presented = (await createGuest(server, asBackend, {})).body;
    assert.equal(elsewhere.user_id, presented.user_id);
    const events = await revokedDuring(async () => {
      const login = await postJson(server, '/accounts/login', {
        client_id: backend.id,
        client_secret: backend.secret,
        email,
        password: 'the account passphrase',
        session_token: presented.session_token,
      });
      assert.equal(login.body['merged_guest_id'], userId, JSON.stringify(login.body));
    });
    assertOnePerSession(events, [sessionOf(elsewhere, backend.id, false), sessionOf(presented, backend.id, true)], 'merged');
  });

  it('should announce containment’s revocation once, naming the session’s user and client though it had no row', async () => {
    const { server, clientId } = fixture;
    const [owner, thief] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
    const issuer = server.ctx.issuer.value;
    const guest = (
      await createGuest(server, { client_id: clientId }, { origin: 'http://localhost:3000', dpop: await dpopProof(owner, 'POST', `${issuer}/anonymous/token`) })
    ).body;
    assert.equal(guest.token_type, 'DPoP');
    const events = await revokedDuring(async () => {
      const stolen = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { dpop: await dpopProof(thief, 'POST', `${issuer}/oauth/token`) },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: guest.session_token }),
      });
      assert.equal(stolen.status, 400);
    });
    assertOnePerSession(events, [sessionOf(guest, clientId, false)], 'anomaly_dpop_mismatch');
  });
});
