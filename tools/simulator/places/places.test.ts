import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BundledAsnTable } from '../../../src/anomaly/geo/asn-table.js';
import { DbipGeoResolver } from '../../../src/anomaly/geo/dbip.js';
import { isMobileAsn } from '../../../src/anomaly/geo/mobile-asns.js';
import { distanceKm } from './index.js';
import { PLACES } from './places-data.js';

/** The first address of the n-th /24 of a block. */
function nthSlash24(cidr: string, n: number): string {
  const [base, bits] = cidr.split('/');
  const count = 2 ** (24 - Number(bits));
  const start = base!.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + 256 * (n % count);
  return `${start >>> 24}.${(start >>> 16) & 255}.${(start >>> 8) & 255}.0`;
}

describe('simulator places table', () => {
  const geo = new DbipGeoResolver();
  before(() => geo.ready());

  it('places every sampled residential /24 within 25 km of its city, as the bundled database does', () => {
    for (const city of PLACES.cities) {
      assert.ok(city.blocks.length >= 100, `${city.name}: enough residential blocks (${city.blocks.length})`);
      for (let i = 0; i < city.blocks.length; i += 37) {
        const address = nthSlash24(city.blocks[i]!, i * 7);
        const location = geo.resolve(address);
        assert.ok(location, `${city.name}: ${address} resolves`);
        assert.equal(location.country, city.country, `${city.name}: ${address} is in ${city.country}`);
        assert.ok(distanceKm(location, city) <= 25.5, `${city.name}: ${address} resolves ${Math.round(distanceKm(location, city))} km away`);
      }
    }
  });

  it('keeps out of the residential blocks every network the server reads as hosting or as a mobile carrier', async () => {
    const asns = new BundledAsnTable();
    await asns.ready();
    const notHomes = PLACES.cities.flatMap((city) =>
      city.blocks
        .filter((cidr) => {
          const asn = asns.lookup(cidr.split('/')[0]!);
          return asn?.datacenter || isMobileAsn(asn?.asn);
        })
        .map((cidr) => `${city.name} ${cidr}`),
    );
    assert.deepEqual(notHomes, []);
  });

  it('records where the database puts each carrier and hosting block', () => {
    for (const provider of [...PLACES.carriers, ...PLACES.hosting]) {
      assert.ok(provider.blocks.length > 0, provider.name);
      for (const block of provider.blocks) {
        const location = geo.resolve(nthSlash24(block.cidr, 0));
        assert.ok(location, `${provider.name}: ${block.cidr} resolves`);
        assert.ok(distanceKm(location, block) < 1, `${provider.name}: ${block.cidr} is where the table says`);
      }
    }
  });
});
