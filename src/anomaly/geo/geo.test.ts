import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asnInfo,
  BundledAsnTable,
  CachedGeoResolver,
  createDefaultGeoResolver,
  DBIP_ACCURACY_KM,
  DbipGeoResolver,
  dbipLocation,
  MaxmindGeoResolver,
  maxmindLocation,
  prefixAddress,
  prefixKey,
} from './index.js';
import { BoundedLru } from '../../shared/bounded-lru.js';

describe('DB-IP City Lite resolver (bundled)', () => {
  const geo = createDefaultGeoResolver({});

  it('should answer unknown before the files are open, and not remember that answer', async () => {
    const fresh = new CachedGeoResolver({ city: new DbipGeoResolver() });
    assert.equal(fresh.resolve('81.2.69.0/24'), undefined);
    await fresh.ready();
    assert.equal(fresh.resolve('81.2.69.0/24')?.country, 'GB');
  });

  it('should place a London and a Sydney /24 in their countries at city accuracy', async () => {
    await geo.ready();
    const london = geo.resolve('81.2.69.0/24');
    const sydney = geo.resolve('1.1.1.0/24');
    assert.equal(london?.country, 'GB');
    assert.equal(sydney?.country, 'AU');
    assert.equal(london?.accuracy_km, DBIP_ACCURACY_KM.city);
    assert.ok(Math.abs(london!.lat - 51.5) < 1 && Math.abs(sydney!.lat + 33.9) < 1);
  });

  it('should resolve an IPv6 /48 and an IPv4-mapped address', async () => {
    await geo.ready();
    assert.equal(geo.resolve('2a00:1450:4001::/48')?.country, 'DE');
    assert.equal(geo.resolve('::ffff:81.2.69.142')?.country, 'GB');
  });

  it('should answer unknown for documentation, private and malformed addresses', async () => {
    await geo.ready();
    for (const ip of ['203.0.113.0/24', '10.0.0.1', '127.0.0.1', 'not an address', '']) assert.equal(geo.resolve(ip), undefined, ip);
  });

  it('should answer every address of a /24 from one cached lookup', async () => {
    await geo.ready();
    const cached = new CachedGeoResolver({ city: new DbipGeoResolver() });
    await cached.ready();
    cached.resolve('81.2.69.1');
    cached.resolve('81.2.69.254');
    cached.resolve('81.2.69.0/24');
    assert.deepEqual([cached.misses, cached.hits], [1, 2]);
  });
});

describe('ASN table (bundled @ip-location-db/asn)', () => {
  const table = new BundledAsnTable();

  it('should answer unknown until the ranges are parsed', () => {
    assert.equal(new BundledAsnTable().lookup('8.8.8.8'), undefined);
  });

  it('should find the ASN of IPv4, IPv6 and IPv4-mapped addresses, and flag hosting and VPN networks', async () => {
    await table.ready();
    assert.deepEqual(table.lookup('8.8.8.8'), { asn: 15169, datacenter: false });
    assert.deepEqual(table.lookup('2001:4860:4860::8888'), { asn: 15169, datacenter: false });
    assert.deepEqual(table.lookup('146.70.49.7'), { asn: 9009, datacenter: true }, 'an M247 VPN exit');
    assert.deepEqual(table.lookup('::ffff:159.65.27.3'), { asn: 14061, datacenter: true }, 'DigitalOcean');
    assert.equal(table.lookup('81.2.69.142')?.datacenter, false, 'a London broadband address');
  });

  it('should answer unknown for private, documentation and malformed addresses', async () => {
    await table.ready();
    for (const ip of ['10.0.0.1', '192.168.1.1', '203.0.113.9', 'fe80::1', 'not an address', '']) assert.equal(table.lookup(ip), undefined, ip);
  });

  it('should read range boundaries inclusively, skip lines without an ASN, and keep IPv6 to its first 48 bits', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'guestpass-asn-'));
    const ipv4 = join(folder, 'v4.csv');
    const ipv6 = join(folder, 'v6.csv');
    // 192.0.2.0–192.0.2.255 → 64500; a malformed line; 198.51.100.0–198.51.100.127 → 64501 (no organisation).
    writeFileSync(ipv4, '3221225984,3221226239,64500,"Example, Inc."\ngarbage\n3325256704,3325256831,64501\n');
    // 2001:db8::/32 → 64502
    writeFileSync(ipv6, `${0x20010db8n << 96n},${(0x20010db9n << 96n) - 1n},64502,Example\n`);
    const small = new BundledAsnTable({ ipv4, ipv6 });
    await small.ready();
    assert.deepEqual(
      ['192.0.2.0', '192.0.2.255', '192.0.3.0', '198.51.100.127', '198.51.100.128'].map((ip) => small.lookup(ip)?.asn),
      [64500, 64500, undefined, 64501, undefined],
    );
    assert.deepEqual(
      ['2001:db8:ffff:1::1', '2001:db9::1'].map((ip) => small.lookup(ip)?.asn),
      [64502, undefined],
    );
  });

  it('should add the ASN to locations by default, and leave it out when ASN lookups are off', async () => {
    const withAsn = createDefaultGeoResolver({});
    const without = createDefaultGeoResolver({ geoipAsnDatabase: 'none' });
    await Promise.all([withAsn.ready(), without.ready()]);
    assert.equal(withAsn.resolve('146.70.49.0/24')?.datacenter, true);
    assert.equal(withAsn.resolve('81.2.69.0/24')?.asn, 20712);
    assert.equal(without.resolve('81.2.69.0/24')?.asn, undefined);
  });
});

describe('record mapping', () => {
  it('should derive accuracy from how precise a DB-IP record is', () => {
    assert.equal(
      dbipLocation({ country_code: 'FR', state1: 'Île-de-France', city: 'Paris', latitude: 48.8, longitude: 2.3 })?.accuracy_km,
      DBIP_ACCURACY_KM.city,
    );
    assert.equal(dbipLocation({ country_code: 'FR', state1: 'Île-de-France', city: '', latitude: 48.8, longitude: 2.3 })?.accuracy_km, DBIP_ACCURACY_KM.region);
    assert.equal(dbipLocation({ country_code: 'FR', latitude: 46, longitude: 2 })?.accuracy_km, DBIP_ACCURACY_KM.country);
    assert.equal(dbipLocation({ country_code: 'FR' }), undefined);
  });

  it('should read accuracy_radius, ASN and anonymiser traits from a GeoIP2 City record', () => {
    const record = {
      country: { iso_code: 'NL', geoname_id: 1, names: { en: 'Netherlands' } },
      location: { latitude: 52.37, longitude: 4.89, accuracy_radius: 20 },
      traits: { autonomous_system_number: 60781, is_hosting_provider: true },
    };
    assert.deepEqual(maxmindLocation(record), { country: 'NL', lat: 52.37, lon: 4.89, accuracy_km: 20, asn: 60781, datacenter: true });
    assert.deepEqual(maxmindLocation({ registered_country: { iso_code: 'JP' }, location: { latitude: 35, longitude: 139, accuracy_radius: 500 } }), {
      country: 'JP',
      lat: 35,
      lon: 139,
      accuracy_km: 500,
    });
    assert.equal(maxmindLocation({ country: { iso_code: 'NL' } }), undefined);
  });

  it('should flag well-known hosting ASNs as datacenter and leave others alone', () => {
    assert.deepEqual(asnInfo({ autonomous_system_number: 16509, autonomous_system_organization: 'AMAZON-02' }), { asn: 16509, datacenter: true });
    assert.deepEqual(asnInfo({ autonomous_system_number: 3320, autonomous_system_organization: 'Deutsche Telekom' }), { asn: 3320, datacenter: false });
    assert.equal(asnInfo(null), undefined);
  });

  it('should refuse to open a MaxMind file that does not exist', async () => {
    await assert.rejects(new MaxmindGeoResolver('/nonexistent/GeoLite2-City.mmdb').ready());
  });

  it('should resolve nothing when location lookups are off', async () => {
    const off = createDefaultGeoResolver({ geoipDatabase: 'none' });
    await off.ready();
    assert.equal(off.resolve('81.2.69.0/24'), undefined);
  });
});

describe('prefixes and the LRU', () => {
  it('should map prefixes to their first address and addresses to their prefix', () => {
    assert.equal(prefixAddress('203.0.113.0/24'), '203.0.113.0');
    assert.equal(prefixAddress('2001:db8:1::/48'), '2001:db8:1::');
    assert.equal(prefixAddress('garbage/24'), undefined);
    assert.equal(prefixKey('203.0.113.77'), '203.0.113.0/24');
    assert.equal(prefixKey('2001:db8:1:2::5'), '2001:db8:1::/48');
  });

  it('should keep at most its capacity, evicting the least recently used', () => {
    const lru = new BoundedLru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    assert.deepEqual([lru.has('a'), lru.has('b'), lru.has('c'), lru.size], [true, false, true, 2]);
  });
});
