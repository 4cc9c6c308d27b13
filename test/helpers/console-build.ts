import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

const consoleRoot = join(repoRoot, 'console');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist') return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : [path];
  });
}

/** A digest of the console's sources: the same sources give the same build folder. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(consoleRoot).sort()) hash.update(relative(consoleRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * The console built from the current sources, for a test server's GUESTPASS_CONSOLE_DIR. Tests
 * run the server from TypeScript (esbuild), which never runs Vite, and dist/console may be
 * missing or older than the sources; so the tests build into a folder named by the sources'
 * digest, once for every test file and run that shares the sources (a few seconds), written
 * under another name first and renamed so that parallel test files never read half a build.
 */
export async function builtConsole(): Promise<string> {
  const directory = join(tmpdir(), `guestpass-console-${sourceDigest()}`);
  if (existsSync(join(directory, 'index.html'))) return directory;
  const partial = `${directory}.${process.pid}.partial`;
  await promisify(execFile)(
    process.execPath,
    // --bypass-lock: two test files may build at once, each into its own folder; Vite's lock
    // (one build per project) would fail the second.
    [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', partial, '--emptyOutDir', '--logLevel', 'warn', '--bypass-lock'],
    {
      cwd: consoleRoot,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  try {
    renameSync(partial, directory);
  } catch (error) {
    // Another test file finished the same build first: its folder is as good as this one.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(directory, 'index.html'))) throw error;
  }
  return directory;
}
