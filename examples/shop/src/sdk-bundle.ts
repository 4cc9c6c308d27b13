import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The browser SDK (`@guestpass/web`, packages/web) as one ES module the pages import from
 * `/sdk.js`. An application of your own would bundle `@guestpass/web` with the rest of its
 * front end; the example bundles it at start so it runs with one command and no build step.
 */
export async function bundleSdk(repoRoot: string): Promise<string> {
  const entry = join(repoRoot, 'packages/web/src/index.ts');
  if (!existsSync(entry)) throw new Error(`The browser SDK is not in this checkout (${entry}); the shop's pages need it.`);
  const result = await build({ entryPoints: [entry], bundle: true, format: 'esm', minify: true, target: 'es2022', write: false, logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}
