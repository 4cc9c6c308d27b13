import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Metrics } from '../shared/metrics.js';
import { redisAnswers, redisUrl, uniqueRedisPrefix } from '../../test/helpers/redis.js';
import { type ChangeNotice, RedisChangeFeed } from './changes.js';
import { RedisConnection } from './connection.js';

const available = await redisAnswers();

/** Resolves with the next notice `feed` hears, or rejects after `ms`. */
function nextNotice(feed: RedisChangeFeed, ms = 5000): Promise<ChangeNotice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no notice within ${ms} ms`));
    }, ms);
    const off = feed.onNotice((notice) => {
      clearTimeout(timer);
      off();
      resolve(notice);
    });
  });
}

describe('RedisChangeFeed', { skip: available ? false : `Redis not reachable at ${redisUrl()}` }, () => {
  const prefix = uniqueRedisPrefix('changes');
  const open = () => new RedisConnection({ url: redisUrl(), prefix, metrics: new Metrics({ defaultMetrics: false }) });
  let a: RedisConnection;
  let b: RedisConnection;
  let feedA: RedisChangeFeed;
  let feedB: RedisChangeFeed;

  before(async () => {
    [a, b] = [open(), open()];
    await Promise.all([a.connect(), b.connect()]);
    [feedA, feedB] = [new RedisChangeFeed(a), new RedisChangeFeed(b)];
    await Promise.all([feedA.start(), feedB.start()]);
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('should deliver a notice to the other nodes, not back to the one that published it', async () => {
    const heardByA: ChangeNotice[] = [];
    const off = feedA.onNotice((notice) => heardByA.push(notice));
    const heard = nextNotice(feedB);
    feedA.publish({ kind: 'client', id: 'c1' });
    assert.deepEqual(await heard, { kind: 'client', id: 'c1' });
    // B's reply arrives after A's own notice would have: A heard B's only.
    const reply = nextNotice(feedA);
    feedB.publish({ kind: 'keys' });
    assert.deepEqual(await reply, { kind: 'keys' });
    off();
    assert.deepEqual(heardByA, [{ kind: 'keys' }]);
  });

  it('should ignore messages that are not notices', async () => {
    const heard = nextNotice(feedB);
    for (const junk of ['not json', '{"from":"x","notice":{"kind":"drop_tables"}}', '{"from":"x","notice":{"kind":"client"}}', '{"notice":{"kind":"keys"}}'])
      await a.commands.publish(`${prefix}changes`, junk);
    feedA.publish({ kind: 'blocks' });
    assert.deepEqual(await heard, { kind: 'blocks' }, 'the first notice heard is the valid one');
  });

  it('should ask for a full re-read once the subscription comes back after a loss', async () => {
    const heard = nextNotice(feedB);
    // Drops the subscriber's socket; ioredis reconnects and subscribes again on its own.
    b.subscriber.disconnect(true);
    assert.deepEqual(await heard, { kind: 'resync' });
  });
});
