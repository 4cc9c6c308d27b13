import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { createGuest, GuestAdmin, ORIGIN } from './helpers/guests.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A sign-up flood from one /24 blocks it: a real alert with a real block, over HTTP. */
const DETECTION = {
  engine: { cold_floor_factor: 1 },
  detectors: { signup_flood: { prefix_floor: 8, containment: { action: 'block_prefix', duration_s: 600 } } },
};
const from = (ip: string) => ({ origin: ORIGIN, 'x-forwarded-for': ip });

interface StreamEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** GET /admin/api/alerts/stream read as a browser's EventSource would, events collected as they come. */
async function openStream(server: TestServer, token: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/admin/api/alerts/stream`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: abort.signal });
  const events: StreamEvent[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          if (fields['event']) events.push({ ...(fields['id'] ? { id: fields['id'] } : {}), event: fields['event'], data: JSON.parse(fields['data'] ?? '{}') });
        }
      }
    } catch {
      // Aborted by the test.
    }
  })();
  const waitFor = async (what: string, match: (event: StreamEvent) => boolean): Promise<StreamEvent> => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const found = events.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`the stream never sent ${what}; it sent ${JSON.stringify(events.map((event) => event.event))}`);
  };
  return {
    response,
    events,
    waitFor,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

describeEachDatabase('the security page: verdicts that lift blocks, in the event log and the live stream', (database) => {
  let server: TestServer;
  let admin: GuestAdmin;
  let clientId: string;
  before(async () => {
    server = await startTestServer({ database, env: { GUESTPASS_TRUSTED_PROXIES: '1', GUESTPASS_ANOMALY_CONFIG: JSON.stringify(DETECTION) } });
    admin = new GuestAdmin(server);
    clientId = await admin.publicClient();
  });
  let leftOpen: Awaited<ReturnType<typeof openStream>> | undefined;
  after(async () => {
    // A stream still open must not hold the shutdown: the server ends it.
    const stopped = Date.now();
    await server.stop();
    assert.ok(Date.now() - stopped < 5000, 'the server stopped with a stream open');
    await leftOpen?.close();
  });

  it('should stream the alert and its block, then lift the block on a false_positive verdict with a note, and log both', async () => {
    const stream = await openStream(server, await admin.adminToken());
    assert.equal(stream.response.status, 200);
    assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const ready = await stream.waitFor('ready', (event) => event.event === 'ready');
    assert.equal(ready.data['time_zone'], 'UTC');

    let refused = 0;
    for (let host = 1; host < 60 && refused === 0; host++) {
      if ((await createGuest(server, { client_id: clientId }, from(`198.51.100.${host}`))).status === 403) refused = host;
    }
    assert.ok(refused > 0, 'the flooding network was blocked');
    const raised = await stream.waitFor('the alert', (event) => event.event === 'alert' && event.data['detector'] === 'signup_flood');
    const placed = await stream.waitFor('the block', (event) => event.event === 'block' && event.data['alert_id'] === raised.data['id']);
    assert.equal(placed.data['lifted_at'], null);
    assert.ok(Number(placed.id) > 0, 'each change carries its time as the event id');

    const verdict = await admin.call('PATCH', `/admin/api/alerts/${raised.data['id']}`, {
      status: 'false_positive',
      note: 'our office NAT, reach ops@example.com',
    });
    assert.equal(verdict.status, 200, JSON.stringify(verdict.body));
    assert.equal(verdict.body['status'], 'false_positive');
    assert.equal(verdict.body['note'], 'our office NAT, reach ops@example.com');
    assert.equal((await createGuest(server, { client_id: clientId }, from('198.51.100.200'))).status, 200, 'the network is let in again');
    assert.deepEqual((await admin.call('GET', '/admin/api/blocks')).body['blocks'], []);

    const lifted = await stream.waitFor(
      'the lift',
      (event) => event.event === 'block' && event.data['id'] === placed.data['id'] && event.data['lifted_at'] !== null,
    );
    assert.ok(Number(lifted.data['lifted_at']) >= Number(placed.data['created_at']));
    await stream.waitFor(
      'the verdict',
      (event) => event.event === 'alert' && event.data['id'] === raised.data['id'] && event.data['status'] === 'false_positive',
    );
    await stream.close();

    const verdicts = (await admin.call('GET', '/admin/api/audit?type=alert.verdict')).body['events'] as Record<string, unknown>[];
    assert.equal(verdicts.length, 1);
    assert.deepEqual(
      { ...verdicts[0], time: 0 },
      {
        type: 'alert.verdict',
        time: 0,
        alert_id: raised.data['id'],
        detector: 'signup_flood',
        entity_kind: 'prefix',
        entity_id: '198.51.100.0/24',
        status: 'false_positive',
        has_note: true,
      },
    );
    const lifts = (await admin.call('GET', '/admin/api/audit?type=block.lifted')).body['events'] as Record<string, unknown>[];
    assert.equal(lifts.length, 1);
    assert.equal(lifts[0]!['block_id'], placed.data['id']);
    assert.equal(lifts[0]!['reason'], 'false_positive');
    assert.doesNotMatch(JSON.stringify(await admin.call('GET', '/admin/api/audit')), /office NAT|ops@example/, 'the note stays on the alert');
  });

  it('should record a confirmed verdict, replace the note, and resume a stream from Last-Event-ID', async () => {
    const [alert] = (await admin.call('GET', '/admin/api/alerts?detector=signup_flood')).body['alerts'] as { id: string; updated_at: number }[];
    const confirmed = await admin.call('PATCH', `/admin/api/alerts/${alert!.id}`, { status: 'confirmed' });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.body['status'], 'confirmed');
    assert.equal(confirmed.body['note'], null);
    const unknown = await admin.call('PATCH', `/admin/api/alerts/${alert!.id}`, { status: 'maybe' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body['error'], 'invalid_request');

    const resumed = await openStream(server, await admin.adminToken(), { 'last-event-id': String(alert!.updated_at) });
    await resumed.waitFor(
      'the alert changed since',
      (event) => event.event === 'alert' && event.data['id'] === alert!.id && event.data['status'] === 'confirmed',
    );
    await resumed.close();
  });

  it('should refuse the stream without an admin token, and end open streams when the server stops', async () => {
    leftOpen = await openStream(server, await admin.adminToken());
    await leftOpen.waitFor('ready', (event) => event.event === 'ready');
    const response = await fetch(`${server.url}/admin/api/alerts/stream`);
    assert.equal(response.status, 401);
    await response.body?.cancel();
  });
});
