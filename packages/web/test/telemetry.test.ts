import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createTelemetry, type TelemetryEvent, type TelemetryTransport } from '../src/telemetry.js';

/** A transport that records what it is given and answers with `status` (and `retryAfter`). */
function recorder(answers: { status: number; retryAfter?: string }[] = []) {
  const posts: TelemetryEvent[][] = [];
  const beacons: TelemetryEvent[][] = [];
  const transport: TelemetryTransport = {
    async post(events) {
      posts.push(events);
      const answer = answers.shift() ?? { status: 202 };
      return new Response(null, { status: answer.status, headers: answer.retryAfter ? { 'retry-after': answer.retryAfter } : {} });
    },
    beacon(events) {
      beacons.push(events);
      return true;
    },
    now: () => 1_700_000_000_000,
  };
  return { posts, beacons, transport };
}

describe('createTelemetry', () => {
  it('should send a batch as soon as it is full, with ids, names, times and context', async () => {
    const { posts, transport } = recorder();
    const telemetry = createTelemetry(transport, { batchSize: 3, flushInterval: 60_000, context: { app_version: '1.2.0' } });
    telemetry.track('a');
    telemetry.track('b', { plan: 'pro' });
    assert.equal(posts.length, 0);
    telemetry.track('c');
    await telemetry.flush();
    assert.deepEqual(
      posts[0]!.map(({ name, props, ts, context }) => ({ name, props, ts, context })),
      [
        { name: 'a', props: undefined, ts: 1_700_000_000_000, context: { app_version: '1.2.0' } },
        { name: 'b', props: { plan: 'pro' }, ts: 1_700_000_000_000, context: { app_version: '1.2.0' } },
        { name: 'c', props: undefined, ts: 1_700_000_000_000, context: { app_version: '1.2.0' } },
      ],
    );
    assert.equal(new Set(posts[0]!.map((event) => event.id)).size, 3, 'each event has its own id (the idempotency key)');
  });

  it('should send a partial batch once the interval has passed', async () => {
    const { posts, transport } = recorder();
    createTelemetry(transport, { batchSize: 50, flushInterval: 30 }).track('a');
    await sleep(10);
    assert.equal(posts.length, 0);
    await sleep(60);
    assert.equal(posts.length, 1);
  });

  it('should keep a batch refused with 429 and send it again only after Retry-After', async () => {
    const { posts, beacons, transport } = recorder([{ status: 429, retryAfter: '1' }]);
    const telemetry = createTelemetry(transport, { batchSize: 1, flushInterval: 20 });
    telemetry.track('a');
    await telemetry.flush();
    assert.equal(posts.length, 1);
    await sleep(500);
    await telemetry.flush();
    telemetry.pagehide();
    assert.equal(posts.length, 1, 'nothing sent while the server asks to wait, not even by beacon');
    assert.equal(beacons.length, 0);
    await sleep(700);
    assert.equal(posts.length, 2);
    assert.deepEqual(posts[1], posts[0], 'the same events, with the same ids');
  });

  it('should drop a batch the server refused for good (4xx other than 429)', async () => {
    const { posts, transport } = recorder([{ status: 400 }]);
    const telemetry = createTelemetry(transport, { batchSize: 1, flushInterval: 20 });
    telemetry.track('a');
    await telemetry.flush();
    await sleep(60);
    assert.equal(posts.length, 1);
  });

  it('should hand what is queued to the beacon when the page goes away', () => {
    const { posts, beacons, transport } = recorder();
    const telemetry = createTelemetry(transport, { batchSize: 50, flushInterval: 60_000 });
    telemetry.track('a');
    telemetry.track('b');
    telemetry.pagehide();
    assert.deepEqual(
      beacons.map((batch) => batch.map((event) => event.name)),
      [['a', 'b']],
    );
    telemetry.pagehide();
    assert.equal(beacons.length, 1, 'a beacon that went is not sent twice');
    assert.equal(posts.length, 0);
  });

  it('should hand a batch still waiting for its answer to the beacon too when the page goes away', async () => {
    // A closing page cancels its ordinary fetches: a flush in flight at pagehide would be lost.
    const beacons: TelemetryEvent[][] = [];
    const posts: TelemetryEvent[][] = [];
    let answer: (response: Response) => void = () => {};
    const transport: TelemetryTransport = {
      post(events) {
        posts.push(events);
        return new Promise((resolve) => (answer = resolve));
      },
      beacon(events) {
        beacons.push(events);
        return true;
      },
      now: () => 1_700_000_000_000,
    };
    const telemetry = createTelemetry(transport, { batchSize: 2, flushInterval: 60_000 });
    telemetry.track('a');
    telemetry.track('b');
    assert.equal(posts.length, 1, 'the full batch left');
    telemetry.track('c');
    telemetry.pagehide();
    assert.deepEqual(
      beacons.map((batch) => batch.map((event) => event.name)),
      [['a', 'b', 'c']],
    );
    assert.deepEqual(
      beacons[0]!.slice(0, 2).map((event) => event.id),
      posts[0]!.map((event) => event.id),
      'the same ids: the server stores an event that came both ways once',
    );
    // The cancelled request's failure must not queue the batch again.
    answer(new Response(null, { status: 503 }));
    await sleep(10);
    telemetry.pagehide();
    assert.equal(beacons.length, 1);
  });
});
