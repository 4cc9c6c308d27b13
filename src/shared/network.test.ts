import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkOf } from './network.js';

describe('networkOf', () => {
  it('should keep only the /24 of an IPv4 address, also when IPv4-mapped', () => {
    assert.deepEqual(networkOf('203.0.113.77'), { ip_prefix: '203.0.113.0/24', ip_version: 4 });
    assert.deepEqual(networkOf('::ffff:198.51.100.9'), { ip_prefix: '198.51.100.0/24', ip_version: 4 });
  });

  it('should keep only the /48 of an IPv6 address', () => {
    assert.deepEqual(networkOf('2001:db8:abcd:12::1'), { ip_prefix: '2001:db8:abcd::/48', ip_version: 6 });
    assert.deepEqual(networkOf('::1'), { ip_prefix: '0:0:0::/48', ip_version: 6 });
    assert.deepEqual(networkOf('2001:0db8:0001:0002:0003:0004:0005:0006'), { ip_prefix: '2001:db8:1::/48', ip_version: 6 });
  });

  it('should return nothing for something that is not an address', () => {
    assert.equal(networkOf('not-an-ip'), undefined);
    assert.equal(networkOf('not-an-ip'), undefined, 'asked again');
  });

  it('should answer the same for an address asked again, beyond the addresses it remembers too, and not be changed by a caller', () => {
    const first = networkOf('192.0.2.44');
    for (let i = 0; i < 5000; i++) networkOf(`10.${(i >> 8) & 255}.${i & 255}.1`);
    assert.deepEqual(networkOf('192.0.2.44'), first);
    assert.deepEqual(networkOf('10.0.7.1'), { ip_prefix: '10.0.7.0/24', ip_version: 4 });
    assert.throws(() => {
      (networkOf('192.0.2.44') as { ip_prefix: string }).ip_prefix = '0.0.0.0/24';
    }, TypeError);
    assert.equal(networkOf('192.0.2.44')?.ip_prefix, '192.0.2.0/24');
  });
});
