import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dropRedisPrefix, redisAnswers, redisUrl, uniqueRedisPrefix } from '../../test/helpers/redis.js';
import { RedisConnection } from '../redis/connection.js';
import { Metrics } from '../shared/metrics.js';
import { SharedDetectionEvents } from './shared-events.js';
import type { DetectionInput, Finding } from './types.js';

const available = await redisAnswers();

const event = (id: string): DetectionInput => ({
  type: 'session.created',
  time: 1_700_000_000_000,
  session_id: id,
  client_id: 'c1',
  network: { ip_prefix: '198.18.1.0/24', ip_version: 4 },
});

const finding: Finding = {
  detector: 'signup_flood',
  entity: { kind: 'prefix', id: '198.18.1.0/24' },
  score: 1,
  severity: 'high',
  time: 1_700_000_000_000,
  window_start: 1_699_999_200_000,
  evidence: {},
};

/** Resolves once `received` holds `count` events, or rejects after `ms`. */
async function receivedAtLeast(received: DetectionInput[], count: number, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (received.length < count) {
    if (performance.now() > deadline) throw new Error(`${received.length} of ${count} events within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SharedDetectionEvents', { skip: available ? false : `Redis not reachable at ${redisUrl()}` }, () => {
  const prefix = uniqueRedisPrefix('detect');
  const metrics = [new Metrics({ defaultMetrics: false }), new Metrics({ defaultMetrics: false })] as const;
  let connections: RedisConnection[];
  let nodes: SharedDetectionEvents[];
  const received: DetectionInput[][] = [[], []];

  before(async () => {
    connections = metrics.map((m) => new RedisConnection({ url: redisUrl(), prefix, metrics: m }));
    await Promise.all(connections.map((connection) => connection.connect()));
    nodes = connections.map((redis, i) => new SharedDetectionEvents({ redis, metrics: metrics[i], onError: () => {} }));
    await Promise.all(nodes.map((node, i) => node.start((input) => received[i]!.push(input))));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await Promise.all(connections.map((connection) => connection.close()));
    await dropRedisPrefix(redisUrl(), prefix);
  });

  it('should feed each node the other nodes’ events, in the order they were published, and not its own', async () => {
    nodes[0]!.publish(event('s1'));
    nodes[0]!.publish(event('s2'));
    nodes[1]!.publish(event('s3'));
    await receivedAtLeast(received[1]!, 2);
    await receivedAtLeast(received[0]!, 1);
    assert.deepEqual(
      received[1]!.map((input) => ('session_id' in input ? input.session_id : undefined)),
      ['s1', 's2'],
    );
    assert.deepEqual(received[0], [event('s3')]);
    assert.equal((await metrics[0].registry.getSingleMetric('guestpass_anomaly_global_detection')?.get())?.values[0]?.value, 1);
  });

  it('should let one node only claim a finding for its window', async () => {
    const claims = await Promise.all([nodes[0]!.claim(finding), nodes[1]!.claim(finding), nodes[0]!.claim(finding)]);
    assert.equal(claims.filter(Boolean).length, 1);
    assert.equal(await nodes[1]!.claim({ ...finding, window_start: finding.window_start + 3_600_000 }), true, 'the next window is a new alert');
  });

  it('should skip malformed entries', async () => {
    const before = received[1]!.length;
    await connections[0]!.commands.xadd('detect:events', '*', 'from', 'elsewhere', 'event', 'not json');
    await connections[0]!.commands.xadd('detect:events', '*', 'from', 'elsewhere', 'event', '{"no":"type"}');
    nodes[0]!.publish(event('s4'));
    await receivedAtLeast(received[1]!, before + 1);
    assert.deepEqual(received[1]!.slice(before), [event('s4')]);
  });
});

describe('SharedDetectionEvents without Redis', () => {
  it('should raise every finding itself and count what it could not publish', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    // Nothing listens on port 1: the connection never becomes ready.
    const redis = new RedisConnection({ url: 'redis://127.0.0.1:1', prefix: 'none:', metrics });
    await redis.connect();
    const node = new SharedDetectionEvents({ redis, metrics, onError: () => {} });
    const started = performance.now();
    await node.start(() => assert.fail('nothing to read'));
    assert.ok(performance.now() - started < 100, 'starting waits for no Redis');
    node.publish(event('s1'));
    assert.equal(await node.claim(finding), true);
    const dropped = (await metrics.registry.getSingleMetric('guestpass_anomaly_shared_events_total')?.get())?.values.find(
      (value) => value.labels['direction'] === 'dropped',
    );
    assert.equal(dropped?.value, 1);
    assert.equal((await metrics.registry.getSingleMetric('guestpass_anomaly_global_detection')?.get())?.values[0]?.value, 0);
    await node.stop();
    await redis.close();
  });
});
