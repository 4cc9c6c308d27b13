#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and tools/ with Node's test runner, from a compiled copy.
// The copy: esbuild transpiles src/, test/, tools/, bench/ and scripts/ (types are tsc's job:
// `npm run typecheck`) into node_modules/.cache/guestpass-test/<run>/, with source maps so a
// failure points at the .ts line (read when a stack is printed: scripts/test-source-maps.mjs).
// Loading the server through tsx cost each test file, and each `guestpass` process a test
// spawns, about a second more than loading the compiled JS.
// GUESTPASS_TEST_FROM_SOURCE=1 runs the .ts files through tsx instead, as before.
// Each test file is bundled with what it imports (bundleTests says why); GUESTPASS_TEST_BUNDLE=0 runs the file-by-file copy instead.
// PostgreSQL: GUESTPASS_TEST_DATABASE_URL names the server; without it the local default is
// probed. If none answers, the PostgreSQL cases are skipped and this script says so plainly;
// with GUESTPASS_TEST_REQUIRE_POSTGRES=1 (CI) an unreachable server is a failure instead.
// Redis likewise: GUESTPASS_TEST_REDIS_URL (default the local one), GUESTPASS_TEST_REQUIRE_REDIS=1.
// Chromium likewise: GUESTPASS_TEST_CHROMIUM (default Debian's /usr/bin/chromium), GUESTPASS_TEST_REQUIRE_BROWSER=1.
import { spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const root = resolve(import.meta.dirname, '..');
const CACHE = join(root, 'node_modules/.cache/guestpass-test');
/** What every esbuild run here shares: Node 20 ESM, source maps pointing at the .ts lines. */
const ESBUILD_COMMON = {
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  tsconfig: join(root, 'tsconfig.json'),
};
/** Where *.test.ts files live: the server, its tests and tools, and the workspaces (SDK, middleware, example, console). */
const SOURCE_FOLDERS = ['src', 'test', 'tools', 'packages', 'examples', 'console'].filter((dir) => existsSync(join(root, dir)));

function findFiles(dir, suffix) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') found.push(...findFiles(path, suffix));
    else if (entry.isFile() && entry.name.endsWith(suffix)) found.push(path);
  }
  return found;
}

function isWritableFolder(path) {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True while process `pid` runs. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Transpiles the TypeScript into a folder of this run's own: several runs may share a checkout,
 * and a copy rebuilt under another run's feet would fail it. Copies left by runs that were
 * killed are removed first.
 */
async function compile() {
  mkdirSync(CACHE, { recursive: true });
  for (const entry of readdirSync(CACHE)) {
    const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
    if (!pid || !alive(pid)) rmSync(join(CACHE, entry), { recursive: true, force: true });
  }
  const outdir = join(CACHE, `${process.pid}-${Date.now().toString(36)}`);
  const entryPoints = [...SOURCE_FOLDERS, 'bench', 'scripts'].flatMap((dir) => findFiles(join(root, dir), '.ts'));
  await build({
    entryPoints,
    outdir,
    outbase: root,
    ...ESBUILD_COMMON,
  });
  await bundleCli(outdir);
  if (process.env.GUESTPASS_TEST_BUNDLE !== '0') await bundleTests(outdir);
  // The copy has no package.json of Guestpass's own: this one only makes its .js files ESM.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  // Beside the code it maps, where the processes tests spawn find it too (test/helpers/paths.ts).
  mkdirSync(join(outdir, 'scripts'), { recursive: true });
  copyFileSync(join(root, 'scripts/test-source-maps.mjs'), join(outdir, 'scripts/test-source-maps.mjs'));
  return outdir;
}

/**
 * Options of the bundles below. Left outside: native addons; the packages that find their own
 * files through __dirname, which an ES module bundle does not define; the development
 * dependencies (a test's browser driver, mail server, other OAuth libraries), which only tests
 * load; and src/cli/usage.js, imported from the file-by-file copy instead: `guestpass simulate`
 * loads the simulator from that copy, and its UsageError must be the class index.js checks.
 */
function bundleOptions(outdir) {
  const { devDependencies = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const usage = join(outdir, 'src/cli/usage.js');
  return {
    outdir,
    outbase: root,
    bundle: true,
    splitting: true,
    external: ['better-sqlite3', '@node-rs/argon2', 'pg-native', '@fastify/swagger', 'ioredis', 'pino', '@guestpass/*', ...Object.keys(devDependencies)],
    plugins: [
      {
        name: 'usage-error-shared',
        setup(plugin) {
          plugin.onResolve({ filter: /(^|\/)cli\/usage\.js$|^\.\/usage\.js$/ }, (args) =>
            resolve(args.resolveDir, args.path) === join(root, 'src/cli/usage.js') ? { path: usage, external: true } : undefined,
          );
        },
      },
    ],
    // The CommonJS packages inside call require() for Node's own modules.
    banner: { js: "import { createRequire as __guestpassCreateRequire } from 'node:module'; const require = __guestpassCreateRequire(import.meta.url);" },
    ...ESBUILD_COMMON,
  };
}

/**
 * Replaces the copy's src/cli/index.js, the `guestpass` that tests spawn, with one bundle of it
 * and its dependencies. A process that loads the server file by file resolves, reads and
 * compiles about 2,000 modules (Kysely and TypeBox alone are 500 files): measured one process
 * at a time, `guestpass clients list` cost 2.1 s of CPU and `guestpass serve` 3.3 s before it
 * listened; bundled, 0.85 s and 1.7 s. The suite spawns a few hundred of them. Tests that import
 * src/cli/*.js themselves still get the file-by-file copy. The commands stay separate chunks
 * (a command is loaded only when it runs), and the chunks sit in src/cli/ like the modules they
 * replace, so paths taken from import.meta.url (the console build, the simulator) are the same.
 */
async function bundleCli(outdir) {
  await build({ ...bundleOptions(outdir), entryPoints: [join(root, 'src/cli/index.ts')], chunkNames: 'src/cli/chunk-[hash]' });
}

/**
 * Replaces each test file under src/, test/ and tools/ in the copy with a bundle too (unless
 * GUESTPASS_TEST_BUNDLE=0): importing test/helpers/server.js file by file cost 2.3 s of CPU,
 * bundled 0.9 s, and most test files import it. Measured on 37 test files (every fourth, the
 * longest left out), one at a time: 79.7 s of CPU file by file, 66.5 s bundled (-17%), every
 * test passing both ways. Every test file under src/, test/ and tools/ has passed bundled. Code shared by several test files goes to chunks in test/helpers/,
 * two folders down like every module that takes a path from import.meta.url (test/helpers/paths.ts,
 * src/console-ui/options.ts, src/cli/simulate.ts), so those paths stay right. The workspaces'
 * tests (packages/, examples/, console/) import their packages by name and are left as they are.
 */
async function bundleTests(outdir) {
  const entryPoints = ['src', 'test', 'tools'].flatMap((dir) => findFiles(join(root, dir), '.test.ts'));
  await build({ ...bundleOptions(outdir), entryPoints, chunkNames: 'test/helpers/chunk-[hash]' });
}

/** Drops every schema this run created (their names contain `_r<run>_`). */
async function dropRunSchemas(url, run) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query('select nspname from pg_namespace where position($1 in nspname) > 0', [`_r${run}_`]);
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
  } catch (error) {
    console.error(`Could not drop this run's PostgreSQL schemas: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL of database `name` on the server `url` names. */
function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Runs one statement on `url` in a connection of its own. */
async function runStatement(url, sql, values) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

const RUN_DATABASE_PREFIX = 'guestpass_test_r';

/**
 * A database of this run's own, created from template0, so that what the suite creates and drops
 * (a few thousand schemas) never accumulates in the database the caller named: PostgreSQL keeps
 * a dropped table's catalog rows until a VACUUM, and a `test` database that had served many runs
 * held 325 MB of pg_attribute alone, which made every later run's migrations slower (95 s of a
 * 590 s suite). Databases left by runs that were killed are dropped first. Undefined when this
 * role may not create databases: the run then uses schemas in the named database, as before.
 */
async function createRunDatabase(url, run) {
  try {
    const leftovers = await runStatement(url, 'select datname from pg_database where starts_with(datname, $1)', [RUN_DATABASE_PREFIX]);
    for (const { datname } of leftovers) {
      const pid = Number(/^(\d+)/.exec(datname.slice(RUN_DATABASE_PREFIX.length))?.[1]);
      if (!pid || !alive(pid)) await dropRunDatabase(url, datname);
    }
    const name = `${RUN_DATABASE_PREFIX}${run}`;
    await runStatement(url, `create database "${name}" template template0`);
    return name;
  } catch (error) {
    console.error(
      `Could not create a PostgreSQL database for this run (${error instanceof Error ? error.message : String(error)}); using schemas in the named database.`,
    );
    return undefined;
  }
}

/** Drops a run's database, closing what connections a killed test left open. */
async function dropRunDatabase(url, name) {
  try {
    await runStatement(url, `drop database if exists "${name}" with (force)`);
  } catch (error) {
    console.error(`Could not drop PostgreSQL database ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function probePostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether Redis answers PING within a second (the Redis and multi-node suites skip without it). */
async function probeRedis(redisUrl) {
  const client = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const url = process.env.GUESTPASS_TEST_DATABASE_URL || DEFAULT_URL;
const postgresUp = await probePostgres(url);
const redisUrl = process.env.GUESTPASS_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const redisUp = await probeRedis(redisUrl);
if (!redisUp && process.env.GUESTPASS_TEST_REQUIRE_REDIS === '1') {
  console.error(`Redis is required (GUESTPASS_TEST_REQUIRE_REDIS=1) but ${redisUrl.replace(/\/\/[^@]*@/, '//')} does not answer.`);
  process.exit(1);
}
const chromium = process.env.GUESTPASS_TEST_CHROMIUM || '/usr/bin/chromium';
const chromiumUp = existsSync(chromium);
if (!chromiumUp && process.env.GUESTPASS_TEST_REQUIRE_BROWSER === '1') {
  console.error(`Chromium is required (GUESTPASS_TEST_REQUIRE_BROWSER=1) but ${chromium} does not exist.`);
  process.exit(1);
}
const env = { ...process.env };
// Test servers keep their data folders (SQLite in WAL mode with synchronous = FULL) under the
// temporary folder. On a disk every commit waits for an fsync, 0.3 to 1 ms here and more when
// other work shares the disk; in memory (tmpfs) it returns at once, and the SQLite code run is
// the same. TMPDIR set by the caller wins.
if (!process.env.TMPDIR && isWritableFolder('/dev/shm')) env.TMPDIR = '/dev/shm';
// Schemas of this run end in r<run>_…: dropped together once every file is done (test/helpers/store.ts says why).
// They live in a database of the run's own when the role may create one (createRunDatabase says why).
// The pid leads the name: a later run drops what a killed run left by it.
const run = `${process.pid}x${Date.now().toString(36)}`;
const runDatabase = postgresUp ? await createRunDatabase(url, run) : undefined;
if (postgresUp) {
  env.GUESTPASS_TEST_DATABASE_URL = runDatabase ? withDatabase(url, runDatabase) : url;
  env.GUESTPASS_TEST_RUN = run;
} else if (process.env.GUESTPASS_TEST_REQUIRE_POSTGRES === '1') {
  console.error(`PostgreSQL is required (GUESTPASS_TEST_REQUIRE_POSTGRES=1) but ${url.replace(/\/\/[^@]*@/, '//')} does not answer.`);
  process.exit(1);
} else {
  env.GUESTPASS_TEST_DATABASE_URL = 'skip';
}

/**
 * What scripts/test-durations.json holds per file: `{ seconds, cpu }`, the wall time the file took
 * and the CPU it used (its own and its children's). An older list held the seconds alone.
 */
function readDurations() {
  try {
    const recorded = JSON.parse(readFileSync(join(root, 'scripts/test-durations.json'), 'utf8'));
    return Object.fromEntries(Object.entries(recorded).map(([file, entry]) => [file, typeof entry === 'number' ? { seconds: entry } : entry]));
  } catch {
    return {};
  }
}

/**
 * Longest files first, by the time each took when the list was last recorded
 * (GUESTPASS_TEST_RECORD_DURATIONS=1 records it): a long file started last would run alone at
 * the end while the other slot idles. Files the list does not know yet may be long too, so they
 * start first.
 */
function longestFirst(files) {
  const recorded = readDurations();
  const seconds = (file) => recorded[file]?.seconds ?? Number.POSITIVE_INFINITY;
  return [...files].sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b));
}

const sources = longestFirst(
  process.argv.length > 2
    ? process.argv.slice(2).map((file) => relative(root, resolve(file)))
    : SOURCE_FOLDERS.flatMap((dir) => findFiles(join(root, dir), '.test.ts').map((file) => relative(root, file))),
);
const fromSource = process.env.GUESTPASS_TEST_FROM_SOURCE === '1';
const outdir = fromSource ? undefined : await compile();
const files = outdir ? sources.map((file) => join(outdir, file.replace(/\.ts$/, '.js'))) : sources;
// One file more than there are cores, and at least three: many files spend much of their time
// waiting on child processes, leases and timers rather than on a core. Measured on the quiet
// 2-core machine: 250 s with two at a time, 228 s with three (same checkout back to back, an
// earlier suite); with today's suite, 270 s with three against 361 s with four (a fresh-clone
// CI run): a fourth file makes every file wait longer on the cores, PostgreSQL and Redis, and
// the longest files (hostile input, 45 s at three) then end the run alone.
const concurrency = process.env.GUESTPASS_TEST_CONCURRENCY || String(Math.max(3, availableParallelism() + 1));
// Stack traces name the .ts lines through maps read when a stack is printed (scripts/test-source-maps.mjs says why).
const loader = outdir ? ['--import', pathToFileURL(join(outdir, 'scripts/test-source-maps.mjs')).href] : ['--import', 'tsx'];
const durationsList = join(root, 'scripts/test-durations.json');
// Named after this process, like the compiled copies, so that other runs leave it alone.
const durationsLog = join(CACHE, `${process.pid}-durations.jsonl`);
const recordDurations = process.env.GUESTPASS_TEST_RECORD_DURATIONS === '1';
if (recordDurations) {
  mkdirSync(CACHE, { recursive: true });
  env.GUESTPASS_TEST_DURATIONS_LOG = durationsLog;
  loader.push('--import', pathToFileURL(join(root, 'scripts/test-durations-preload.mjs')).href);
}

/**
 * Merges the durations this run's files logged into the list, wall time and CPU per file; files
 * that no longer exist drop out. Then prints every file of the run by the CPU it used (its own
 * and its child processes'), with its wall time: on a busy machine the wall time mostly measures
 * the neighbours, the CPU is what a file costs wherever it runs.
 */
function saveDurations() {
  const recorded = readDurations();
  let lines = [];
  try {
    lines = readFileSync(durationsLog, 'utf8').trim().split('\n').filter(Boolean);
  } catch {}
  const logged = lines.map((line) => JSON.parse(line));
  for (const { file, seconds, cpu } of logged) recorded[file] = { seconds, cpu };
  const kept = Object.entries(recorded).filter(([file]) => existsSync(join(root, file)));
  kept.sort(([a, x], [b, y]) => y.seconds - x.seconds || a.localeCompare(b));
  writeFileSync(durationsList, `${JSON.stringify(Object.fromEntries(kept), null, 2)}\n`);
  rmSync(durationsLog, { force: true });
  console.log(`Recorded the duration of ${logged.length} test files in ${relative(root, durationsList)}.`);
  const total = (key) => logged.reduce((sum, entry) => sum + (entry[key] ?? 0), 0).toFixed(1);
  console.log(`Sum over the files: ${total('seconds')} s of wall time, ${total('cpu')} s of CPU (PostgreSQL's own work not included).`);
  console.log('Every file of this run, most CPU first (s of CPU, s of wall time):');
  for (const { file, seconds, cpu } of [...logged].sort((a, b) => (b.cpu ?? 0) - (a.cpu ?? 0)))
    console.log(`  ${String(cpu ?? '?').padStart(6)} ${String(seconds).padStart(6)}  ${file}`);
}

const child = spawn(process.execPath, [...loader, '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
  env,
});
const cleanUp = () => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
};
// Ctrl-C reaches the runner too (same process group); the copy goes once it has stopped.
process.on('SIGINT', () => {});
child.on('exit', async (code, signal) => {
  if (recordDurations) saveDurations();
  cleanUp();
  if (runDatabase) await dropRunDatabase(url, runDatabase);
  else if (postgresUp) await dropRunSchemas(url, run);
  if (!postgresUp) {
    console.log(`\nNOTE: PostgreSQL did not answer at ${url.replace(/\/\/[^@]*@/, '//')}, so every PostgreSQL case was SKIPPED; only SQLite was tested.`);
    console.log('      Start PostgreSQL or set GUESTPASS_TEST_DATABASE_URL to run them.');
  }
  if (!redisUp) {
    console.log(`\nNOTE: Redis did not answer at ${redisUrl.replace(/\/\/[^@]*@/, '//')}, so the Redis and multi-node cases were SKIPPED.`);
    console.log('      Start Redis or set GUESTPASS_TEST_REDIS_URL to run them.');
  }
  if (!chromiumUp) {
    console.log(`\nNOTE: Chromium was not found at ${chromium}, so the browser cases were SKIPPED.`);
    console.log("      Install Debian's chromium package (apt-get install chromium) or set GUESTPASS_TEST_CHROMIUM to run them.");
  }
  process.exit(code ?? (signal ? 1 : 0));
});
