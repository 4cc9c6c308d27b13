/**
 * The API reference of the developer kit, generated from the packages' exported types and their
 * JSDoc by TypeDoc with typedoc-plugin-markdown: docs/sdk/reference/<package>/. `npm run docs`
 * writes it (scripts/docs.ts); test/docs.test.ts regenerates it into a scratch folder and fails
 * when the committed pages differ, so a changed option or signature cannot leave them behind.
 */
import { type Dirent, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, LogLevel, type TypeDocOptions } from 'typedoc';

export const REFERENCE_DIR = 'docs/sdk/reference';

/** Each package with the modules its package.json exports. */
const PACKAGES = [
  { name: '@guestpass/web', folder: 'web', dir: 'packages/web', entryPoints: ['src/index.ts'] },
  {
    name: '@guestpass/resource-server',
    folder: 'resource-server',
    dir: 'packages/resource-server',
    entryPoints: ['src/index.ts', 'src/express.ts', 'src/fastify.ts'],
  },
] as const;

/** typedoc-plugin-markdown's own options, which TypeDocOptions does not declare. */
interface MarkdownOptions {
  router: 'module';
  entryFileName: string;
  hidePageHeader: boolean;
  hideBreadcrumbs: boolean;
}

/** Writes the reference of every package under `outDir` (one folder each) and returns its files, path → text. */
export async function writeSdkReference(outDir: string): Promise<Map<string, string>> {
  rmSync(outDir, { recursive: true, force: true });
  for (const pkg of PACKAGES) {
    const options: Partial<TypeDocOptions> & MarkdownOptions = {
      name: pkg.name,
      entryPoints: pkg.entryPoints.map((entry) => join(pkg.dir, entry)),
      // The build's tsconfig: the package's sources only, not its tests and the server they start.
      tsconfig: join(pkg.dir, 'tsconfig.build.json'),
      plugin: ['typedoc-plugin-markdown'],
      out: join(outDir, pkg.folder),
      readme: 'none',
      // No links to source lines or git revisions: the pages change only when the API does.
      disableSources: true,
      hideGenerator: true,
      // Framework types the middleware re-exports (Express's Request) belong to their own docs.
      excludeExternals: true,
      excludePrivate: true,
      excludeInternal: true,
      logLevel: LogLevel.Error,
      router: 'module',
      entryFileName: 'README.md',
      hidePageHeader: true,
      hideBreadcrumbs: true,
    };
    const app = await Application.bootstrapWithPlugins(options as Partial<TypeDocOptions>);
    const project = await app.convert();
    if (!project) throw new Error(`TypeDoc could not read ${pkg.name}'s types (see the errors above)`);
    await app.generateOutputs(project);
  }
  return readTree(outDir);
}

/** The files under `dir`, path relative to it → text. */
export function readTree(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  let entries: Dirent[];
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) for (const [name, text] of readTree(dir, path)) files.set(name, text);
    else files.set(path, readFileSync(join(dir, path), 'utf8'));
  }
  return files;
}

/** Generates the reference into a scratch folder: what `npm run docs` would write now. */
export async function freshSdkReference(): Promise<Map<string, string>> {
  const scratch = mkdtempSync(join(tmpdir(), 'guestpass-sdk-reference-'));
  try {
    return await writeSdkReference(join(scratch, 'reference'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
