import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../app/config.js';
import { ConfigError } from '../config/index.js';
import { defaultDetectionConfig } from './config.js';

describe('anomaly options', () => {
  const load = (env: Record<string, string>) => loadConfig({ env }).config;

  it('should run detection with the built-in thresholds and the bundled geolocation by default', () => {
    const config = load({});
    assert.equal(config.anomalyDetection, true);
    assert.deepEqual(config.anomalyConfig, defaultDetectionConfig);
    assert.equal(config.geoipDatabase, undefined);
    assert.equal(config.anomalyAllowListTtl, 7 * 86400);
  });

  it('should open the geolocation files at start-up unless told to wait for a lookup or never to', () => {
    assert.equal(load({}).geoipLoad, 'startup');
    assert.equal(load({ GUESTPASS_GEOIP_LOAD: 'first-use' }).geoipLoad, 'first-use');
    assert.equal(load({ GUESTPASS_GEOIP_LOAD: 'off' }).geoipLoad, 'off');
    assert.throws(
      () => load({ GUESTPASS_GEOIP_LOAD: 'lazy' }),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith('GUESTPASS_GEOIP_LOAD'),
    );
  });

  it('should read detector overrides inline or from a file', () => {
    const inline = load({ GUESTPASS_ANOMALY_CONFIG: '{"detectors": {"refresh_storm": {"floor": 3, "containment": {"action": "observe", "duration_s": 0}}}}' });
    assert.equal(inline.anomalyConfig.detectors.refresh_storm.floor, 3);
    assert.equal(inline.anomalyConfig.detectors.refresh_storm.containment.action, 'observe');
    assert.equal(inline.anomalyConfig.detectors.signup_flood.prefix_floor, defaultDetectionConfig.detectors.signup_flood.prefix_floor);

    const folder = mkdtempSync(join(tmpdir(), 'gp-anomaly-'));
    try {
      const file = join(folder, 'detection.json');
      writeFileSync(file, JSON.stringify({ detectors: { signup_flood: { containment: { action: 'throttle', duration_s: 60 } } } }));
      assert.deepEqual(load({ GUESTPASS_ANOMALY_CONFIG: file }).anomalyConfig.detectors.signup_flood.containment, { action: 'throttle', duration_s: 60 });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('should stop start-up on a typo, bad JSON or a missing file, naming the variable', () => {
    for (const value of [
      '{"detectors": {"refresh_strom": {}}}',
      '{not json',
      '/nonexistent/detection.json',
      '{"detectors": {"token_reuse": {"containment": {"action": "ban"}}}}',
    ]) {
      assert.throws(
        () => load({ GUESTPASS_ANOMALY_CONFIG: value }),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith('GUESTPASS_ANOMALY_CONFIG'),
        value,
      );
    }
  });
});
