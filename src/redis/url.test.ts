import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedisUrl } from './url.js';

/** GUESTPASS_REDIS_URL's three forms, and the sentences a wrong one gets (never echoing it). */
describe('parseRedisUrl', () => {
  it('should keep a plain redis:// URL for ioredis to parse', () => {
    assert.deepEqual(parseRedisUrl('redis://:secret@cache:6380/2'), { kind: 'server', url: 'redis://:secret@cache:6380/2', tls: false, password: 'secret' });
    assert.equal(parseRedisUrl('rediss://cache').tls, true);
  });

  it('should read the sentinels, the master group, the database and both passwords', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://app:p%40ss@s1,s2:26380,[::1]:26381/main/3?sentinel_password=watch'), {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'main',
      db: 3,
      sentinelPassword: 'watch',
      tls: false,
      username: 'app',
      password: 'p@ss',
    });
    assert.equal(parseRedisUrl('redis+sentinel://s1/main').kind, 'sentinel');
  });

  it('should read a cluster’s seed nodes with the default port', () => {
    assert.deepEqual(parseRedisUrl('rediss+cluster://n1,n2:7001'), {
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 6379 },
        { host: 'n2', port: 7001 },
      ],
      tls: true,
    });
  });

  it('should refuse what it cannot use, with a sentence that does not repeat the URL', () => {
    const cases: [string, RegExp][] = [
      ['http://cache:6379', /must be a redis:\/\//],
      ['redis+sentinel://:hunter2@s1:26379', /master group name/],
      ['redis+sentinel://s1/main/0/extra', /master group name/],
      ['redis+sentinel://s1/main?password=x', /unknown parameter "password"/],
      ['redis+cluster://n1/1', /Redis Cluster has only database 0/],
      ['redis+cluster://n1?sentinel_password=x', /only a redis\+sentinel/],
      ['redis+cluster://n1:99999', /host:port/],
    ];
    for (const [url, message] of cases) {
      assert.throws(
        () => parseRedisUrl(url),
        (error: Error) => message.test(error.message) && !error.message.includes('hunter2'),
        url,
      );
    }
  });
});
