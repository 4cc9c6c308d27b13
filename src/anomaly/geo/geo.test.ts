import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asnInfo,
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
import { BoundedLru } from '../sketches/lru.js';

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

describe('record mapping', () => {
  it('should derive accuracy from how precise a DB-IP record is', () => {
    assert.equal(dbipLocation({ country_code: 'FR', state1: 'Île-de-France', city: 'Paris', latitude: 48.8, longitude: 2.3 })?.accuracy_km, DBIP_ACCURACY_KM.city);
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
