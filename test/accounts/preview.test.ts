import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { getWithToken, postJson, register, uniqueEmail } from '../helpers/accounts.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { createGuest, GuestAdmin, json } from '../helpers/guests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.js';

interface Decision {
  key: string;
  strategy: string;
  source: string;
}

const byKey = (decisions: unknown) => [...(decisions as Decision[])].sort((a, b) => a.key.localeCompare(b.key));

describeEachDatabase('POST /accounts/merge/preview', (database) => {
  let smtp: SmtpCapture;
  let server: TestServer;
  let admin: GuestAdmin;
  let publicClient: string;
  let backend: { id: string; secret: string };
  let accountId: string;

  const GUEST_METADATA = {
    cart: [
      { sku: 'pear', qty: 2 },
      { sku: 'apple', qty: 5 },
    ],
    visits: 3,
    theme: 'dark',
    coupon: 'WELCOME',
  };

  before(async () => {
    smtp = await startSmtpCapture();
    server = await startTestServer({
      database,
      env: { GUESTPASS_SMTP_URL: smtp.url, GUESTPASS_MERGE_STRATEGIES: JSON.stringify({ cart: { strategy: 'union', id: 'sku' }, visits: 'sum' }) },
    });
    admin = new GuestAdmin(server);
    publicClient = await admin.publicClient();
    // The account below is created through the public client, so only an admin client may preview into it.
    backend = await admin.confidentialClient({}, { is_admin: true });
    const guest = await createGuest(server, { client_id: publicClient, metadata: { cart: [{ sku: 'apple', qty: 1 }], visits: 2, theme: 'light' } });
    accountId = (
      await register(server, smtp, {
        clientId: publicClient,
        email: uniqueEmail('preview'),
        password: 'preview passphrase',
        sessionToken: guest.body.session_token,
      })
    ).body['user_id'] as string;
  });
  after(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  /** A guest of a confidential client, created with its credentials. */
  const guestOf = async (client: { id: string; secret: string }, metadata: Record<string, unknown>) => {
    const guest = await createGuest(server, { client_id: client.id, client_secret: client.secret, metadata }, {});
    assert.equal(guest.status, 200, JSON.stringify(guest.body));
    return guest.body;
  };
  const preview = (client: { id: string; secret?: string }, guestId: string) =>
    postJson(server, '/accounts/merge/preview', {
      client_id: client.id,
      ...(client.secret ? { client_secret: client.secret } : {}),
      guest_id: guestId,
      account_id: accountId,
    });

  it('returns the merged metadata and a decision per key, and writes nothing', async () => {
    const guest = await guestOf(backend, GUEST_METADATA);
    const accountBefore = await admin.call('GET', `/admin/api/users/${accountId}`);

    const previewed = await preview(backend, guest.user_id);
    assert.equal(previewed.status, 200, JSON.stringify(previewed.body));
    assert.equal(previewed.body['guest_id'], guest.user_id);
    assert.equal(previewed.body['account_id'], accountId);
    assert.deepEqual(previewed.body['metadata'], {
      cart: [
        { sku: 'apple', qty: 1 },
        { sku: 'pear', qty: 2 },
      ],
      visits: 5,
      theme: 'light',
      coupon: 'WELCOME',
    });
    assert.deepEqual(byKey(previewed.body['decisions']), [
      { key: 'cart', strategy: 'union', source: 'both' },
      { key: 'coupon', strategy: 'prefer_account', source: 'guest' },
      { key: 'theme', strategy: 'prefer_account', source: 'account' },
      { key: 'visits', strategy: 'sum', source: 'both' },
    ]);

    const accountAfter = await admin.call('GET', `/admin/api/users/${accountId}`);
    assert.deepEqual(accountAfter.body['metadata'], accountBefore.body['metadata']);
    assert.equal(accountAfter.body['metadata_version'], accountBefore.body['metadata_version']);
    const guestAfter = await admin.call('GET', `/admin/api/users/${guest.user_id}`);
    assert.equal(guestAfter.body['merged_into'], null);
    assert.deepEqual(guestAfter.body['metadata'], GUEST_METADATA);
    assert.equal((await getWithToken(server, '/anonymous/session', guest.access_token)).status, 200, 'the guest lives on');

    // Asking twice gives the same answer: nothing moved in between.
    assert.deepEqual((await preview(backend, guest.user_id)).body, previewed.body);
  });

  it('applies the guest’s client’s own strategies over the global ones', async () => {
    const overriding = await admin.confidentialClient({ merge_strategies: { visits: 'prefer_guest', theme: 'prefer_guest' } }, { is_admin: true });
    const guest = await guestOf(overriding, GUEST_METADATA);
    const previewed = await preview(overriding, guest.user_id);
    assert.equal(previewed.status, 200, JSON.stringify(previewed.body));
    const metadata = previewed.body['metadata'] as Record<string, unknown>;
    assert.equal(metadata['visits'], 3);
    assert.equal(metadata['theme'], 'dark');
    assert.equal((metadata['cart'] as unknown[]).length, 2, 'cart still merged by the global union');
  });

  it('refuses a public client with 401 invalid_client', async () => {
    const guest = await createGuest(server, { client_id: publicClient, metadata: { a: 1 } });
    const refused = await preview({ id: publicClient }, guest.body.user_id);
    assert.equal(refused.status, 401);
    assert.equal(refused.body['error'], 'invalid_client');
    assert.ok(refused.headers.get('www-authenticate'));
  });

  it('refuses a confidential client with a wrong secret', async () => {
    const guest = await guestOf(backend, { a: 1 });
    const refused = await preview({ id: backend.id, secret: 'not-the-secret' }, guest.user_id);
    assert.equal(refused.status, 401);
    assert.equal(refused.body['error'], 'invalid_client');
  });

  it('answers 404 to a non-admin client for a guest of another client, a registered user, an unknown id, or an account it did not create', async () => {
    const publicGuest = await createGuest(server, { client_id: publicClient, metadata: { a: 1 } });
    const other = await admin.confidentialClient();
    const backendGuest = await guestOf(backend, { a: 1 });
    const otherGuest = await guestOf(other, { a: 1 });
    for (const guestId of [publicGuest.body.user_id, backendGuest.user_id, accountId, '0190d3f5-0000-7000-8000-000000000000']) {
      const refused = await preview(other, guestId);
      assert.equal(refused.status, 404, guestId);
      assert.equal(refused.body['error'], 'not_found');
    }
    // Its own guest, but an account another client created: the account's metadata stays hidden.
    const hidden = await preview(other, otherGuest.user_id);
    assert.equal(hidden.status, 404);
    assert.match(String(hidden.body['error_description']), /account_id/);
  });

  it('answers 404 when account_id is not a registered user', async () => {
    const guest = await guestOf(backend, { a: 1 });
    const asAccount = await guestOf(backend, { b: 2 });
    const refused = await postJson(server, '/accounts/merge/preview', {
      client_id: backend.id,
      client_secret: backend.secret,
      guest_id: guest.user_id,
      account_id: asAccount.user_id,
    });
    assert.equal(refused.status, 404);
    assert.equal(refused.body['error'], 'not_found');
  });

  it('authenticates a confidential client with HTTP Basic too', async () => {
    const guest = await guestOf(backend, { a: 1 });
    const previewed = await json(
      await fetch(`${server.url}/accounts/merge/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${backend.id}:${backend.secret}`).toString('base64')}` },
        body: JSON.stringify({ guest_id: guest.user_id, account_id: accountId }),
      }),
    );
    assert.equal(previewed.status, 200, JSON.stringify(previewed.body));
  });
});
