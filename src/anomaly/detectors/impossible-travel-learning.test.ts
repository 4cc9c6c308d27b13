import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ev, MINUTE, only, run, T0 } from '../../../test/fixtures/anomaly/streams.js';
import type { DetectionConfigInput } from '../config-schema.js';
import { DetectionEngine } from '../engine.js';
import { TableGeoResolver } from '../table-geo.js';
import type { DetectionInput, GeoLocation } from '../types.js';

const at = (country: string, lat: number, lon: number): GeoLocation => ({ country, lat, lon, accuracy_km: 20 });
const RENNES = at('FR', 48.11, -1.68);
const PARIS = at('FR', 48.86, 2.35);
const FRANKFURT = at('DE', 50.11, 8.68);
const MUNICH = at('DE', 48.14, 11.58);
const HAMBURG = at('DE', 53.55, 9.99);
const AMSTERDAM = at('NL', 52.37, 4.9);

/** Homes in distinct /16s (`203.<i>.1.0/24`) at `where`. */
const homes = (count: number, where: GeoLocation, first = 1) => Array.from({ length: count }, (_, i) => [`203.${first + i}.1.0/24`, where] as const);

function engine(
  places: Record<string, GeoLocation>,
  travel: DetectionConfigInput['detectors'] extends infer D ? (D extends { impossible_travel?: infer T } ? T : never) : never = {},
) {
  return new DetectionEngine({ geo: new TableGeoResolver(places), config: { detectors: { impossible_travel: { track_users: false, ...travel } } } });
}

/** Session `id` at `from`, then at `to` one minute later. */
const move = (time: number, id: string, from: string, to: string): DetectionInput[] => [
  ev.created(time, { session: id }, from),
  ev.refreshed(time + MINUTE, { session: id }, to),
];
const travel = (events: DetectionInput[], e: DetectionEngine) => only(run(e, events), 'impossible_travel').map((f) => f.entity.id);

describe('impossible_travel: what the population teaches', () => {
  it('learns a carrier NAT from ordinary moves onto it, and still blames an unshared network at the same place', () => {
    const locals = homes(4, RENNES);
    const places: Record<string, GeoLocation> = {
      ...Object.fromEntries(locals),
      '198.18.5.0/24': at('FR', 48.2, -1.5),
      '203.50.1.0/24': PARIS,
      '203.51.1.0/24': PARIS,
      '192.0.2.0/24': at('FR', 48.2, -1.5),
    };
    const e = engine(places, { learn_country_spread: false, shared_network_sessions: 0 });
    // Phones in Rennes leave home Wi-Fi for the carrier: plausible moves, nothing to report.
    const ordinary = locals.flatMap(([home], i) => move(T0 + i * MINUTE, `local-${i}`, home, '198.18.5.0/24'));
    // A Paris phone on the same carrier "jumps" 310 km in a minute: the carrier is shared.
    const phone = move(T0 + 10 * MINUTE, 'paris-phone', '203.50.1.0/24', '198.18.5.0/24');
    // A stolen Paris session used from a network nobody else moves through.
    const thief = move(T0 + 12 * MINUTE, 'stolen', '203.51.1.0/24', '192.0.2.0/24');
    assert.deepEqual(travel([...ordinary, ...phone, ...thief], e), ['stolen']);
  });

  it('learns a carrier whose ASN also sells home lines from its sessions hopping across the country, and still blames other moves', () => {
    const carrier = (lat: number, lon: number): GeoLocation => ({ ...at('FR', lat, lon), asn: 3215 });
    const places: Record<string, GeoLocation> = {
      '198.18.1.0/24': carrier(48.86, 2.35),
      '198.18.2.0/24': carrier(43.3, 5.37),
      '203.60.1.0/24': { ...RENNES, asn: 12322 },
      '192.0.2.0/24': { ...at('FR', 43.6, 1.44), asn: 64_500 },
      '198.51.100.0/24': { ...AMSTERDAM, asn: 64_501 },
    };
    const e = engine(places, { learn_country_spread: false, shared_network_sessions: 0, busy_network_sessions: 0, shared_network_origins: 0 });
    // Four phones are moved between the carrier's Paris and Marseille pools (660 km) within a minute: each is reported.
    const hops = [0, 1, 2, 3].flatMap((i) => move(T0 + i * MINUTE, `phone-${i}`, '198.18.1.0/24', '198.18.2.0/24'));
    assert.deepEqual(travel(hops, e), ['phone-0', 'phone-1', 'phone-2', 'phone-3']);
    // From then on the carrier's address says "somewhere in France": the fifth phone's hop is not news.
    assert.deepEqual(travel(move(T0 + 10 * MINUTE, 'phone-4', '198.18.2.0/24', '198.18.1.0/24'), e), []);
    // A session leaving France, or moving between two other networks in it, is still judged.
    const abroad = move(T0 + 12 * MINUTE, 'abroad', '198.18.1.0/24', '198.51.100.0/24');
    const thief = move(T0 + 14 * MINUTE, 'stolen', '203.60.1.0/24', '192.0.2.0/24');
    assert.deepEqual(travel([...abroad, ...thief], e), ['abroad', 'stolen']);
  });

  it('learns a VPN provider from sessions arriving at its block from many countries', () => {
    const abroad: [string, GeoLocation][] = [
      ['203.1.1.0/24', at('US', 40.71, -74.0)],
      ['203.2.1.0/24', at('JP', 35.68, 139.69)],
      ['203.3.1.0/24', at('BR', -23.55, -46.63)],
      ['203.4.1.0/24', at('AU', -33.87, 151.21)],
    ];
    const exits = ['185.1.1.0/24', '185.1.2.0/24', '185.1.3.0/24', '185.1.4.0/24'];
    const places: Record<string, GeoLocation> = {
      ...Object.fromEntries(abroad),
      ...Object.fromEntries(exits.map((x) => [x, AMSTERDAM])),
      '203.9.1.0/24': at('US', 34.05, -118.24),
      '192.0.2.0/24': AMSTERDAM,
    };
    const e = engine(places, { learn_country_spread: false, shared_network_sessions: 0, shared_network_origins: 0 });
    const switches = abroad.flatMap(([home], i) => move(T0 + i * MINUTE, `vpn-${i}`, home, exits[i]!));
    const thief = move(T0 + 10 * MINUTE, 'stolen', '203.9.1.0/24', '192.0.2.0/24');
    // The first three switch-ons look like theft (nothing is known yet); the fourth arrives at a block sessions from three other countries already reached.
    assert.deepEqual(travel([...switches, ...thief], e), ['vpn-0', 'vpn-1', 'vpn-2', 'stolen']);
  });

  it("learns how far a country's phones appear to jump, and still reports account takeovers and longer jumps there", () => {
    const places: Record<string, GeoLocation> = {
      ...Object.fromEntries(homes(8, MUNICH)),
      ...Object.fromEntries(homes(8, HAMBURG, 20)),
      '198.18.9.0/24': FRANKFURT,
      '192.0.2.0/24': at('DE', 54.32, 10.13),
    };
    const e = engine(places, {
      shared_network_sessions: 0,
      shared_network_origins: 0,
      busy_network_sessions: 0,
      track_users: true,
      country_spread_warmup_s: 0,
    });
    // Munich phones on a carrier registered in Frankfurt (300 km): without a warm-up, the first five are reported while nothing is known.
    const phones = homes(6, MUNICH).flatMap(([home], i) => move(T0 + i * MINUTE, `phone-${i}`, home, '198.18.9.0/24'));
    // A Munich user whose account is used from Kiel (700 km) in a new session three minutes later.
    const takeover = [
      ev.created(T0 + 20 * MINUTE, { session: 'own', user: 'victim' }, '203.3.1.0/24'),
      ev.created(T0 + 23 * MINUTE, { session: 'thief', user: 'victim' }, '192.0.2.0/24'),
    ];
    const found = travel([...phones, ...takeover], e);
    assert.deepEqual(found, ['phone-0', 'phone-1', 'phone-2', 'phone-3', 'phone-4', 'victim']);
    // A session jumping much further than the phones do (Munich → Kiel, 700 km) is still reported.
    assert.deepEqual(travel(move(T0 + 30 * MINUTE, 'far', '203.4.1.0/24', '192.0.2.0/24'), e), ['far']);
  });

  it('holds back same-country session jumps while a fresh detector learns the country, but not jumps abroad or account takeovers', () => {
    const places: Record<string, GeoLocation> = {
      ...Object.fromEntries(homes(8, MUNICH)),
      '198.18.9.0/24': FRANKFURT,
      '192.0.2.0/24': at('DE', 54.32, 10.13),
      '198.51.100.0/24': AMSTERDAM,
    };
    const e = engine(places, { shared_network_sessions: 0, shared_network_origins: 0, busy_network_sessions: 0, track_users: true });
    // The first phones jump before Germany has a spread: learnt from, not reported (the default warm-up is an hour).
    const phones = homes(3, MUNICH).flatMap(([home], i) => move(T0 + i * MINUTE, `phone-${i}`, home, '198.18.9.0/24'));
    // Meanwhile a session jumps from Munich to Amsterdam, and an account is used from Kiel in a new session.
    const abroad = move(T0 + 5 * MINUTE, 'abroad', '203.4.1.0/24', '198.51.100.0/24');
    const takeover = [
      ev.created(T0 + 6 * MINUTE, { session: 'own', user: 'victim' }, '203.5.1.0/24'),
      ev.created(T0 + 8 * MINUTE, { session: 'thief', user: 'victim' }, '192.0.2.0/24'),
    ];
    assert.deepEqual(travel([...phones, ...abroad, ...takeover], e), ['abroad', 'victim']);
    // Once the hour is over, a same-country jump in a country still without a spread is reported.
    assert.deepEqual(travel(move(T0 + 61 * MINUTE, 'later', '203.6.1.0/24', '192.0.2.0/24'), e), ['later']);
  });
});
