import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../../test/helpers/paths.js';
import { RESOURCE_ERRORS } from './error-codes.js';

describe('RESOURCE_ERRORS', () => {
  it('should list every code in the package README with its status and error', () => {
    const readmeIn = (root: string) => readFileSync(join(root, 'packages/resource-server/README.md'), 'utf8');
    let readme: string;
    try {
      readme = readmeIn(process.cwd());
    } catch {
      readme = readmeIn(repoRoot);
    }
    for (const [code, spec] of Object.entries(RESOURCE_ERRORS)) {
      const row = new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${spec.status}\\s*\\|\\s*\`${spec.error}\`\\s*\\|`);
      assert.match(readme, row, `${code} is missing from the README's table of refusals`);
    }
  });
});
