import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

interface RotatedSecret {
  client_id: string;
  client_secret: string;
  /** Epoch milliseconds. */
  old_secrets_expire_at: number;
}

/** Past the expiry, so the old secret is certainly gone (the server compares with `>`). */
const EXPIRY_MARGIN_MS = 250;

describeEachDatabase('client secret rotation', (database) => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ database });
  });
  after(() => server.stop());

  async function createConfidentialClient(name: string): Promise<{ id: string; secret: string }> {
    const { client_id, client_secret } = await server.createClient(['--name', name, '--type', 'confidential']);
    return { id: client_id, secret: client_secret! };
  }

  /** `guestpass clients rotate-secret`, the command an operator runs. */
  async function rotateWithCli(clientId: string, overlapSeconds: number): Promise<RotatedSecret> {
    return JSON.parse(await server.cli(['clients', 'rotate-secret', clientId, '--overlap', String(overlapSeconds), '--json'])) as RotatedSecret;
  }

  /** The same rotation through this server's client service, when the test times the overlap. */
  async function rotateInProcess(clientId: string, overlapSeconds: number): Promise<RotatedSecret> {
    const { clientSecret, oldSecretsExpireAt } = await server.ctx.clients.rotateSecret(clientId, overlapSeconds);
    return { client_id: clientId, client_secret: clientSecret, old_secrets_expire_at: oldSecretsExpireAt };
  }

  /** A raw client_credentials request, so the test can see statuses and headers. */
  function requestToken(clientId: string, clientSecret: string, method: 'basic' | 'post' = 'basic'): Promise<Response> {
    const grant = { grant_type: 'client_credentials' };
    const init: RequestInit =
      method === 'basic'
        ? { headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` }, body: new URLSearchParams(grant) }
        : { body: new URLSearchParams({ ...grant, client_id: clientId, client_secret: clientSecret }) };
    return fetch(`${server.url}/oauth/token`, { method: 'POST', ...init });
  }

  async function assertTokenIssued(response: Response): Promise<void> {
    const body = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.ok(body.access_token);
  }

  /** RFC 6749 §5.2: 401 invalid_client, with a challenge in WWW-Authenticate. */
  async function assertInvalidClient(response: Response): Promise<void> {
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="guestpass"/);
    const body = (await response.json()) as { error?: string; error_description?: string };
    assert.equal(body.error, 'invalid_client');
    assert.ok(body.error_description);
  }

  it('accepts old and new secrets during the overlap, then only the new one', async () => {
    const client = await createConfidentialClient('rolling-deploy');
    // The overlap must outlast the three checks below, even on a loaded machine; then the test
    // waits for its end, which is the subject (the option counts whole seconds).
    const rotated = await rotateInProcess(client.id, 2);
    assert.notEqual(rotated.client_secret, client.secret);

    await assertTokenIssued(await requestToken(client.id, client.secret));
    await assertTokenIssued(await requestToken(client.id, client.secret, 'post'));
    await assertTokenIssued(await requestToken(client.id, rotated.client_secret));
    assert.ok(Date.now() < rotated.old_secrets_expire_at, 'the overlap checks ran past the expiry; they proved nothing');

    await sleep(rotated.old_secrets_expire_at + EXPIRY_MARGIN_MS - Date.now());

    await assertInvalidClient(await requestToken(client.id, client.secret));
    await assertInvalidClient(await requestToken(client.id, client.secret, 'post'));
    await assertTokenIssued(await requestToken(client.id, rotated.client_secret));
    await assertTokenIssued(await requestToken(client.id, rotated.client_secret, 'post'));
  });

  it('cuts the old secret off at once with an overlap of 0', async () => {
    const client = await createConfidentialClient('compromised');
    const rotated = await rotateWithCli(client.id, 0);
    assert.equal(rotated.client_id, client.id);
    assert.ok(rotated.old_secrets_expire_at <= Date.now());

    await assertInvalidClient(await requestToken(client.id, client.secret));
    await assertTokenIssued(await requestToken(client.id, rotated.client_secret));
  });
});
