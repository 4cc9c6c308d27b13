import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot as root } from './helpers/paths.js';

const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

describe('architecture', () => {
  it('should keep every dependency rule of .dependency-cruiser.cjs (layers, indexes, no cycles)', async () => {
    // dependency-cruiser exits with the number of errors; no rule is a mere warning any more
    // (there is no known debt to carry), so a warning someone adds later fails here too.
    const result = await promisify(execFile)(
      process.execPath,
      [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src', 'test', 'tools', 'bench', 'scripts'],
      {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      },
    ).then(
      ({ stdout }) => ({ code: 0, output: stdout }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    assert.equal(result.code, 0, `dependency-cruiser found violations of .dependency-cruiser.cjs:\n${result.output}`);
    assert.doesNotMatch(result.output, /^\s*warn /m, `dependency-cruiser warned:\n${result.output}`);
  });
});
