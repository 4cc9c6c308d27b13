import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Where tests find the repository and how they start the command line. `npm test` runs the
 * tests from a compiled copy (scripts/test.mjs builds it under node_modules/.cache), because
 * loading the server through tsx cost each test file and each spawned process about a second
 * more; `node --import tsx --test a.test.ts` still runs them from source. Either way the
 * repository root is the folder whose package.json is Guestpass's, and a spawned `guestpass`
 * runs from the same kind of code as the test that spawns it.
 */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'guestpass') return dir;
    if (dirname(dir) === dir) throw new Error(`no Guestpass package.json above ${from}`);
  }
}

/** True when this file runs from the compiled copy rather than through tsx. */
export const compiled = import.meta.url.endsWith('.js');

/** The checkout: README, docs, fixtures, node_modules, the TypeScript sources. */
export const repoRoot = findRepoRoot(import.meta.dirname);

/** The root of the code that runs: the compiled copy, or the checkout itself. */
export const codeRoot = compiled ? join(import.meta.dirname, '..', '..') : repoRoot;

/**
 * Node arguments that run `relativePath` (a .ts path from the repository root, such as
 * src/cli/index.ts) as this test runs: its compiled .js, stack traces mapped to the .ts lines when
 * printed (scripts/test-source-maps.mjs), or the source through tsx.
 */
export function nodeArgsFor(relativePath: string): string[] {
  return compiled
    ? ['--import', pathToFileURL(join(codeRoot, 'scripts/test-source-maps.mjs')).href, join(codeRoot, relativePath.replace(/\.ts$/, '.js'))]
    : ['--import', 'tsx', join(repoRoot, relativePath)];
}

/** Node arguments that run `guestpass` (src/cli/index.ts). */
export const CLI_ARGS = nodeArgsFor('src/cli/index.ts');
