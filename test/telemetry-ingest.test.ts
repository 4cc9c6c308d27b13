import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { DomainEvents } from '../src/events/types.js';
import { describeEachDatabase } from './helpers/databases.js';
import { GuestAdmin, json, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { event, newGuest, sendEvents, telemetryClient, type IngestAnswer } from './helpers/telemetry.js';

describeEachDatabase('telemetry ingestion: POST /v1/events', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1' } });
    admin = new GuestAdmin(server);
    clientId = await telemetryClient(admin);
  });
  after(() => server.stop());

  it('should store the good events of a mixed batch and report each bad one by index', async () => {
    const guest = await newGuest(server, clientId);
    const batch = [
      event({
        name: 'checkout.started',
        props: { step: 1, plan: 'pro' },
        context: { app_version: '1.2.0', deployment: 'prod' },
        metrics: { duration_ms: 120 },
      }),
      event({ name: 'Bad Name' }),
      event({ ts: Date.now() - 8 * 86_400_000 }),
      { ...event(), id: 'not-a-uuid' },
      event({ name: 'checkout.failed', ts: new Date().toISOString(), error: { type: 'TypeError', message: 'x is undefined' } }),
      event({ props: { huge: 'x'.repeat(300) } }),
      'not an object',
      event({ props: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, '€'.repeat(200)])) }),
    ];
    const { status, body } = await sendEvents(server, guest.token, batch);
    assert.equal(status, 202);
    assert.equal(body.accepted, 2);
    assert.equal(body.duplicates, 0);
    assert.deepEqual(
      body.rejected.map(({ index, error }) => [index, error]),
      [
        [1, 'invalid_event'],
        [2, 'invalid_timestamp'],
        [3, 'invalid_event'],
        [5, 'invalid_event'],
        [6, 'invalid_event'],
        [7, 'event_too_large'],
      ],
    );
    assert.match(body.rejected[0]!.error_description, /name must match/);
    assert.match(body.rejected[2]!.error_description, /id must be a UUID/);

    const stored = await admin.call('GET', `/admin/api/users/${guest.userId}/events`);
    const events = stored.body['events'] as {
      name: string;
      session_id: string;
      is_anonymous: boolean;
      client_id: string;
      context: Record<string, string>;
      origin: string;
      error: unknown;
    }[];
    assert.deepEqual(events.map((stored) => stored.name).sort(), ['checkout.failed', 'checkout.started']);
    const started = events.find((stored) => stored.name === 'checkout.started')!;
    // Stamped by the server from the token and the request, not taken from the body.
    assert.equal(started.session_id, guest.sessionId);
    assert.equal(started.client_id, clientId);
    assert.equal(started.is_anonymous, true);
    assert.equal(started.origin, 'localhost:3000');
    assert.deepEqual(started.context, { app_version: '1.2.0', deployment: 'prod' });
  });

  it('should count a resent batch as duplicates and store nothing twice', async () => {
    const guest = await newGuest(server, clientId);
    const batch = [event(), event(), event()];
    assert.equal((await sendEvents(server, guest.token, batch)).body.accepted, 3);
    const again = await sendEvents(server, guest.token, [...batch, event()]);
    assert.equal(again.status, 202);
    assert.deepEqual({ accepted: again.body.accepted, duplicates: again.body.duplicates }, { accepted: 1, duplicates: 3 });
    const repeated = event();
    const inOneBatch = await sendEvents(server, guest.token, [repeated, repeated]);
    assert.deepEqual({ accepted: inOneBatch.body.accepted, duplicates: inOneBatch.body.duplicates }, { accepted: 1, duplicates: 1 });
    const stored = await admin.call('GET', `/admin/api/users/${guest.userId}/events`);
    assert.equal((stored.body['events'] as unknown[]).length, 5);
  });

  it('should refuse a token without telemetry:write with 403 insufficient_scope', async () => {
    const noTelemetry = await admin.publicClient({ scopes: ['profile'] });
    const guest = await newGuest(server, noTelemetry);
    const { status, headers, body } = await sendEvents(server, guest.token, [event()]);
    assert.equal(status, 403);
    assert.equal(body.error, 'insufficient_scope');
    assert.match(headers.get('www-authenticate') ?? '', /error="insufficient_scope", scope="telemetry:write"/);
  });

  it('should refuse the access token of a revoked session with 401', async () => {
    const guest = await newGuest(server, clientId);
    assert.equal((await sendEvents(server, guest.token, [event()])).status, 202);
    const revoked = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: guest.sessionToken, client_id: clientId }),
    });
    assert.equal(revoked.status, 200);
    const { status, body } = await sendEvents(server, guest.token, [event()]);
    assert.equal(status, 401);
    assert.equal(body.error, 'invalid_token');
  });

  it('should refuse a request without a token before looking at its body', async () => {
    const response = await json<IngestAnswer>(
      await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"nonsense": true}' }),
    );
    assert.equal(response.status, 401);
    assert.equal(response.body.error, 'invalid_token');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  it('should accept a navigator.sendBeacon form with access_token and events as a JSON string (RFC 6750 §2.2)', async () => {
    const guest = await newGuest(server, clientId);
    const beacon = new URLSearchParams({ access_token: guest.token, events: JSON.stringify([event({ name: 'page.hidden' })]) });
    const accepted = await json<IngestAnswer>(await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { origin: ORIGIN }, body: beacon }));
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.accepted, 1);

    const twice = await json<IngestAnswer>(
      await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${guest.token}` },
        body: new URLSearchParams({ access_token: guest.token, events: '[]' }),
      }),
    );
    assert.equal(twice.status, 400);
    assert.match(twice.body.error_description ?? '', /one place only/);
    const inJson = await json<IngestAnswer>(
      await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: guest.token, events: [] }),
      }),
    );
    assert.equal(inJson.status, 400);
    assert.match(inJson.body.error_description ?? '', /x-www-form-urlencoded/);
    const plainText = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ events: [] }),
    });
    assert.equal(plainText.status, 415, 'a sendBeacon string cannot carry the token: refused, not guessed at');
    const notJson = await json<IngestAnswer>(
      await fetch(`${server.url}/v1/events`, { method: 'POST', body: new URLSearchParams({ access_token: guest.token, events: '[{' }) }),
    );
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error_description ?? '', /JSON array/);
  });

  it('should refuse batches over 500 events or 512 KiB as a whole with 413', async () => {
    const guest = await newGuest(server, clientId);
    const tooMany = await sendEvents(
      server,
      guest.token,
      Array.from({ length: 501 }, () => event()),
    );
    assert.equal(tooMany.status, 413);
    assert.match(tooMany.body.error_description ?? '', /501 events; the most is 500/);
    const tooBig = await sendEvents(
      server,
      guest.token,
      Array.from({ length: 400 }, () => event({ props: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, 'y'.repeat(200)])) })),
    );
    assert.equal(tooBig.status, 413);
  });

  it('should refuse an Origin the public client does not allow', async () => {
    const guest = await newGuest(server, clientId);
    const { status, body } = await sendEvents(server, guest.token, [event()], { origin: 'https://evil.example' });
    assert.equal(status, 403);
    assert.equal(body.error, 'access_denied');
  });

  it('should keep the country of the address and never the address itself', async () => {
    const guest = await newGuest(server, clientId);
    // One trusted proxy hop: the address in X-Forwarded-For is the client's (DB-IP: London, GB).
    const { status } = await sendEvents(server, guest.token, [event({ name: 'geo.check' })], { 'x-forwarded-for': '81.2.69.160' });
    assert.equal(status, 202);
    const stored = await admin.call('GET', `/admin/api/users/${guest.userId}/events`);
    const [row] = stored.body['events'] as Record<string, unknown>[];
    assert.equal(row!['country'], 'GB');
    assert.ok(!JSON.stringify(stored.body).includes('81.2.69'));
  });

  it('should emit telemetry.ingested per request and count outcomes in /metrics', async () => {
    const guest = await newGuest(server, clientId);
    const seen: DomainEvents['telemetry.ingested'][] = [];
    const stop = server.ctx.events.on('telemetry.ingested', (emitted) => void seen.push(emitted));
    await sendEvents(server, guest.token, [event(), event({ name: '!' })]);
    stop();
    assert.equal(seen.length, 1);
    assert.deepEqual(
      { accepted: seen[0]!.accepted, rejected: seen[0]!.rejected, session: seen[0]!.session_id, prefix: seen[0]!.network?.ip_prefix },
      {
        accepted: 1,
        rejected: 1,
        session: guest.sessionId,
        prefix: '127.0.0.0/24',
      },
    );
    assert.equal(seen[0]!.ts_span_s, 0, 'one accepted event spans nothing');
    const backlog: DomainEvents['telemetry.ingested'][] = [];
    const stopBacklog = server.ctx.events.on('telemetry.ingested', (emitted) => void backlog.push(emitted));
    await sendEvents(server, guest.token, [event({ ts: Date.now() - 2 * 3_600_000 }), event()]);
    stopBacklog();
    assert.ok(Math.abs(backlog[0]!.ts_span_s! - 7200) <= 2, `an offline backlog spans its hours: ${backlog[0]!.ts_span_s}`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /guestpass_telemetry_events_total\{outcome="accepted"\} [1-9]/);
    assert.match(metrics, /guestpass_telemetry_events_total\{outcome="rejected"\} [1-9]/);
    assert.match(metrics, /guestpass_telemetry_commit_seconds_count [1-9]/);
  });

  it('should accept a DPoP-bound access token with a proof over the request (RFC 9449 §7)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const proof = (htm: string, htu: string, accessToken?: string) =>
      new SignJWT({ jti: randomUUID(), htm, htu, ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .setIssuedAt()
        .sign(privateKey as CryptoKey);
    const issuer = server.ctx.issuer.value;
    const created = await json<{ access_token: string; token_type: string }>(
      await fetch(`${server.url}/anonymous/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN, dpop: await proof('POST', `${issuer}/anonymous/token`) },
        body: JSON.stringify({ client_id: clientId }),
      }),
    );
    assert.equal(created.body.token_type, 'DPoP');
    const token = created.body.access_token;
    const asBearer = await sendEvents(server, token, [event()]);
    assert.equal(asBearer.status, 401, 'a bound token is no bearer token');
    const withProof = await sendEvents(server, token, [event()], { authorization: `DPoP ${token}`, dpop: await proof('POST', `${issuer}/v1/events`, token) });
    assert.equal(withProof.status, 202);
    assert.equal(withProof.body.accepted, 1);
  });
});

describeEachDatabase('telemetry limits', (database) => {
  let server: TestServer;
  let clientId: string;
  before(async () => {
    server = await startTestServer({
      database,
      env: { GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION: '10', GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_CLIENT: '25' },
    });
    clientId = await telemetryClient(new GuestAdmin(server));
  });
  after(() => server.stop());

  it('should answer 429 with Retry-After and the reason past the per-session and per-client limits', async () => {
    const first = await newGuest(server, clientId);
    assert.equal(
      (
        await sendEvents(
          server,
          first.token,
          Array.from({ length: 8 }, () => event()),
        )
      ).status,
      202,
    );
    const refused = await sendEvents(
      server,
      first.token,
      Array.from({ length: 3 }, () => event()),
    );
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'rate_limited');
    assert.match(refused.body.error_description ?? '', /limit of 10 events per minute for this session/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await sendEvents(server, first.token, [event(), event()])).status, 202, 'what still fits is accepted');

    const second = await newGuest(server, clientId);
    assert.equal(
      (
        await sendEvents(
          server,
          second.token,
          Array.from({ length: 10 }, () => event()),
        )
      ).status,
      202,
    );
    const third = await newGuest(server, clientId);
    const clientRefused = await sendEvents(
      server,
      third.token,
      Array.from({ length: 6 }, () => event()),
    );
    assert.equal(clientRefused.status, 429);
    assert.match(clientRefused.body.error_description ?? '', /for this client/);
  });
});
