import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorsDocument, readmeWithTable } from '../scripts/docs.js';
import { EVENT_TYPES } from '../src/anomaly/replay.js';
import { errorCatalogues } from '../src/app/error-catalogue.js';

describe('generated documentation', () => {
  it('should have the README configuration table in step with src/config/options.ts (run `npm run docs`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.equal(readme, readmeWithTable(readme));
  });

  it('should document every error code in docs/errors.md (run `npm run docs`)', () => {
    assert.equal(readFileSync('docs/errors.md', 'utf8'), errorsDocument());
  });

  it('should give every domain event a row in docs/events.md', () => {
    const events = readFileSync('docs/events.md', 'utf8');
    const missing = EVENT_TYPES.filter((type) => !events.includes(`| \`${type}\` |`));
    assert.deepEqual(missing, [], 'events without a row in docs/events.md');
  });

  it('should give every error code an UPPER_SNAKE name, a real status and a sentence to act on', () => {
    for (const catalogue of Object.values(errorCatalogues)) {
      for (const [code, spec] of Object.entries(catalogue)) {
        assert.match(code, /^[A-Z][A-Z0-9_]+$/);
        assert.ok(spec.status >= 400 && spec.status < 600, code);
        assert.match(spec.error, /^[a-z_]+$/, code);
        assert.ok(spec.description.length > 20 && spec.description.endsWith('.'), `${code} needs a full sentence`);
      }
    }
  });
});
