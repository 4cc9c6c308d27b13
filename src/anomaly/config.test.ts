import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containmentFor, defaultDetectionConfig } from './config.js';
import { parseDetectionConfig } from './config-schema.js';
import { DetectionEngine } from './engine.js';
import { TableGeoResolver } from './table-geo.js';

describe('detection configuration', () => {
  it('keeps every default not overridden, at any depth', () => {
    const config = parseDetectionConfig({ detectors: { refresh_storm: { floor: 25 }, credential_stuffing: { distributed: { prefixes_floor: 3 } } } });
    assert.equal(config.detectors.refresh_storm.floor, 25);
    assert.equal(config.detectors.refresh_storm.z_threshold, defaultDetectionConfig.detectors.refresh_storm.z_threshold);
    assert.equal(config.detectors.credential_stuffing.distributed.prefixes_floor, 3);
    assert.equal(config.detectors.credential_stuffing.distributed.window_s, 300);
    assert.deepEqual(parseDetectionConfig({}), defaultDetectionConfig);
  });

  it('refuses an unknown key, naming it and what is accepted there', () => {
    assert.throws(() => parseDetectionConfig({ detectors: { refresh_storm: { flor: 25 } } }), {
      message: /unknown key "detectors\.refresh_storm\.flor"; "detectors\.refresh_storm" accepts enabled, weight, .*floor/,
    });
    assert.throws(() => parseDetectionConfig({ detector: {} }), { message: /unknown key "detector"; the top level accepts engine, detectors/ });
    assert.throws(() => parseDetectionConfig({ detectors: { geo_velocity: {} } }), { message: /accepts token_reuse, client_mismatch/ });
  });

  it('refuses wrong types, ranges and containment actions with the exact key', () => {
    assert.throws(() => parseDetectionConfig({ detectors: { off_hours: { weight: 2 } } }), {
      message: /"detectors\.off_hours\.weight": expected number to be less or equal to 1/,
    });
    assert.throws(() => parseDetectionConfig({ detectors: { signup_flood: { window_s: 0 } } }), { message: /"detectors\.signup_flood\.window_s"/ });
    assert.throws(() => parseDetectionConfig({ detectors: { impossible_travel: { max_sessions: 1.5 } } }), { message: /max_sessions/ });
    assert.throws(() => parseDetectionConfig({ detectors: { token_reuse: { containment: { action: 'ban' } } } }), {
      message: /"detectors\.token_reuse\.containment\.action" must be one of observe, throttle, revoke, block_prefix, quarantine/,
    });
    assert.throws(() => parseDetectionConfig({ detectors: { token_reuse: { enabled: 'yes' } } }), { message: /enabled/ });
    assert.throws(() => parseDetectionConfig([]), { message: /the configuration: expected object/ });
  });

  it('the engine refuses a bad configuration too', () => {
    assert.throws(() => new DetectionEngine({ geo: new TableGeoResolver({}), config: { engine: { dedup: 5 } } as never }), {
      message: /unknown key "engine\.dedup"/,
    });
  });

  it('tells containment what to do per detector', () => {
    const config = parseDetectionConfig({ detectors: { refresh_storm: { containment: { action: 'block_prefix', duration_s: 60 } } } });
    assert.deepEqual(containmentFor(config, 'refresh_storm'), { action: 'block_prefix', duration_s: 60 });
    assert.deepEqual(containmentFor(config, 'token_reuse'), { action: 'revoke', duration_s: 0 });
    assert.equal(containmentFor(config, 'toString'), undefined);
  });
});
