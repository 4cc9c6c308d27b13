import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { compiled } from '../../test/helpers/paths.js';
import { loadSimulator, SIMULATOR_MISSING } from './simulate.js';

const scratch = mkdtempSync(join(tmpdir(), 'guestpass-simulate-'));
/** The command is copied as this test runs: compiled (.js, as installed) or from source (.ts, through tsx). */
const ext = compiled ? 'js' : 'ts';

/**
 * Runs `simulate` from a copy of this command laid out like an installed package: the command
 * in cli/, and no tools/ two levels up. The runner reports errors as src/cli/index.ts does.
 */
function runWithoutTools(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), join(scratch, `package/cli/run.${ext}`), ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('guestpass simulate', () => {
  before(() => {
    const cli = join(scratch, 'package/cli');
    mkdirSync(cli, { recursive: true });
    writeFileSync(join(scratch, 'package/package.json'), '{"type": "module"}\n');
    for (const file of [`simulate.${ext}`, `usage.${ext}`]) copyFileSync(new URL(file, import.meta.url), join(cli, file));
    writeFileSync(
      join(cli, `run.${ext}`),
      `import { simulateCommand } from './simulate.js';
import { UsageError } from './usage.js';
simulateCommand(process.argv.slice(2)).catch((error) => {
  process.stderr.write(\`guestpass: \${error.message}\\n\`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
`,
    );
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads the simulator from tools/ in a checkout', async () => {
    const simulator = await loadSimulator();
    assert.equal(typeof simulator?.simulate, 'function');
  });

  it('says the simulator is a development tool, and how to run it, where tools/ is absent', async () => {
    const help = await runWithoutTools(['--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, `${SIMULATOR_MISSING}\n`);
    assert.match(help.stdout, /development tool/);
    assert.match(help.stdout, /npm run simulate -- --seed 1 --hours 24/);

    const run = await runWithoutTools(['--seed', '1', '--hours', '1']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^guestpass: The attack simulator is a development tool/);
  });

  it('reports a simulator that fails to load instead of calling it absent', async () => {
    const broken = join(scratch, 'broken.mjs');
    writeFileSync(broken, "import './absent.mjs';\n");
    await assert.rejects(
      loadSimulator(pathToFileURL(broken)),
      (error: Error & { code?: string }) => error.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes('absent.mjs'),
    );
    assert.equal(await loadSimulator(pathToFileURL(join(scratch, 'nothing.mjs'))), undefined);
  });
});
