import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressGuard, isLoopbackHost } from './address-guard.js';

describe('webhook address guard', () => {
  const guard = new AddressGuard();

  it('should permit public unicast addresses', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '1.1.1.1']) assert.ok(guard.permits(address), address);
  });

  it('should refuse loopback, private, link-local, metadata, CGNAT, multicast and unspecified addresses by default', () => {
    const refused = [
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '169.254.0.1',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      'fd00::1',
      'fc12::1',
      'fe80::1',
      'ff02::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      'not-an-address',
    ];
    for (const address of refused) assert.equal(guard.permits(address), false, address);
  });

  it('should permit only the blocks an operator allows, and never unspecified or multicast', () => {
    const allowing = new AddressGuard({ allowedCidrs: ['127.0.0.1/32', '10.1.2.0/24', 'fd00::/8'] });
    assert.ok(allowing.permits('127.0.0.1'));
    assert.ok(allowing.permits('10.1.2.77'));
    assert.ok(allowing.permits('fd00::5'));
    assert.equal(allowing.permits('127.0.0.2'), false);
    assert.equal(allowing.permits('10.1.3.1'), false);
    assert.equal(allowing.permits('169.254.169.254'), false);
    const everything = new AddressGuard({ allowPrivate: true });
    assert.ok(everything.permits('169.254.169.254'));
    assert.ok(everything.permits('::1'));
    assert.equal(everything.permits('0.0.0.0'), false);
    assert.equal(everything.permits('224.0.0.1'), false);
  });

  it('should know the loopback hosts an http:// URL may name in development', () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]', '127.1.2.3']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['example.com', '10.0.0.1', 'localhost.example.com', '[::2]']) assert.equal(isLoopbackHost(host), false, host);
  });
});
