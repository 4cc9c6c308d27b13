import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bundleSdk } from './bundle.js';

const LIMIT = 8 * 1024;

describe('@guestpass/web bundle', () => {
  it('should weigh at most 8 KB gzipped, minified with every feature in', async () => {
    const code = await bundleSdk();
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`@guestpass/web: ${code.length} bytes minified, ${gzipped} bytes gzipped (limit ${LIMIT})`);
    assert.ok(gzipped <= LIMIT, `the SDK weighs ${gzipped} bytes gzipped; the budget is ${LIMIT}`);
  });

  it('should have no runtime dependency: the bundle imports nothing', async () => {
    assert.doesNotMatch(await bundleSdk(), /\bimport\s*[{*\w]|\bimport\(/);
  });
});
