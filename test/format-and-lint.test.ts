import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot as root } from './helpers/paths.js';

const biome = join(root, 'node_modules/@biomejs/biome/bin/biome');

describe('format and lint', () => {
  it('should find the tree formatted and lint-clean by Biome (biome.json); `npm run format` and `npm run lint` fix most of it', async () => {
    // `biome ci` checks formatting and lint without writing, and exits non-zero on any error.
    const result = await promisify(execFile)(process.execPath, [biome, 'ci', '--colors=off', '--max-diagnostics=30', '.'], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    assert.equal(result.code, 0, `Biome found problems:\n${result.output}`);
  });
});
