import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../../../test/helpers/paths.js';

const ENTRY = 'packages/web/src/index.ts';
/**
 * scripts/test.mjs runs tests from the checkout as their working folder; `repoRoot`, found from
 * the compiled copy's real path, is the main checkout when node_modules is a symlink to it
 * (a git worktree), so the working folder is asked first.
 */
const entry = existsSync(join(process.cwd(), ENTRY)) ? join(process.cwd(), ENTRY) : join(repoRoot, ENTRY);

/**
 * The SDK as `npm run build -w @guestpass/web` bundles it (same esbuild options), in memory:
 * the browser tests serve exactly what is published, and the size test weighs it.
 */
export async function bundleSdk(): Promise<string> {
  const result = await build({ entryPoints: [entry], bundle: true, format: 'esm', minify: true, target: 'es2022', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}
