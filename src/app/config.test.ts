import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/index.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('should apply the documented defaults with no configuration', () => {
    const { config, warnings } = loadConfig({ env: {} });
    assert.equal(config.port, 4455);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.issuer, 'http://127.0.0.1:4455');
    assert.match(config.databaseUrl, /^sqlite:.*\.guestpass\/guestpass\.db$/);
    assert.equal(config.accessTokenTtl, 900);
    assert.deepEqual(warnings, []);
  });

  it('should read GUESTPASS_* variables and let flags win over them', () => {
    const { config } = loadConfig({ env: { GUESTPASS_PORT: '8080', GUESTPASS_ACCESS_TOKEN_TTL: '10m' }, flags: { port: '9090' } });
    assert.equal(config.port, 9090);
    assert.equal(config.accessTokenTtl, 600);
    assert.equal(config.issuer, 'http://127.0.0.1:9090');
  });

  it('should name the exact variable or flag that is wrong', () => {
    assert.throws(
      () => loadConfig({ env: { GUESTPASS_PORT: 'eighty' } }),
      (error: Error) => error instanceof ConfigError && /GUESTPASS_PORT/.test(error.message),
    );
    assert.throws(() => loadConfig({ env: {}, flags: { 'access-token-ttl': '2h' } }), /--access-token-ttl must be between/);
    assert.throws(() => loadConfig({ env: { GUESTPASS_MASTER_KEY: 'short' } }), /GUESTPASS_MASTER_KEY must be 32 bytes/);
  });

  it('should warn about an unknown GUESTPASS_ variable and refuse an unknown flag', () => {
    const { warnings } = loadConfig({ env: { GUESTPASS_PROT: '1' } });
    assert.match(warnings[0] ?? '', /GUESTPASS_PROT/);
    assert.throws(() => loadConfig({ env: {}, flags: { prot: '1' } }), /Unknown option --prot/);
  });

  it('should warn loudly about a non-https public issuer', () => {
    const { warnings } = loadConfig({ env: { GUESTPASS_ISSUER: 'http://auth.example.com' } });
    assert.match(warnings.join(' '), /not https/);
    assert.deepEqual(loadConfig({ env: { GUESTPASS_ISSUER: 'https://auth.example.com/' } }).config.issuer, 'https://auth.example.com');
  });

  it('should take trusted proxies as a hop count or a list', () => {
    assert.equal(loadConfig({ env: { GUESTPASS_TRUSTED_PROXIES: '2' } }).config.trustedProxies, 2);
    assert.deepEqual(loadConfig({ env: { GUESTPASS_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' } }).config.trustedProxies, ['10.0.0.0/8', '127.0.0.1']);
  });
});
