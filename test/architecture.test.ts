import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = fileURLToPath(new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url));

describe('architecture', () => {
  it('should keep every dependency rule of .dependency-cruiser.cjs (layers, indexes, no cycles)', async () => {
    // dependency-cruiser exits with the number of errors; warnings (known debt) do not fail it.
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
    assert.equal(result.code, 0, `dependency-cruiser found violations of .dependency-cruiser.cjs:\n${errorsOnly(result.output)}`);
  });
});

/** The `err` report without its warnings (the known debt), so a failure shows what broke. */
function errorsOnly(output: string): string {
  const kept: string[] = [];
  let keeping = true;
  for (const line of output.split('\n')) {
    const start = /^\s*(error|warn) /.exec(line);
    if (start) keeping = start[1] === 'error';
    else if (!/^\s{4,}\S/.test(line)) keeping = true;
    if (keeping) kept.push(line);
  }
  return kept.join('\n');
}
