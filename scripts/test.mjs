#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and tools/ with Node's test runner (through tsx).
// PostgreSQL: GUESTPASS_TEST_DATABASE_URL names the server; without it the local default is
// probed. If none answers, the PostgreSQL cases are skipped and this script says so plainly;
// with GUESTPASS_TEST_REQUIRE_POSTGRES=1 (CI) an unreachable server is a failure instead.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...findTests(path));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found;
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

const url = process.env.GUESTPASS_TEST_DATABASE_URL || DEFAULT_URL;
const postgresUp = await probePostgres(url);
const env = { ...process.env };
// Schemas of this run end in r<run>_…: dropped together once every file is done (test/helpers/store.ts says why).
const run = `${process.pid}${Date.now().toString(36)}`;
if (postgresUp) {
  env.GUESTPASS_TEST_DATABASE_URL = url;
  env.GUESTPASS_TEST_RUN = run;
} else if (process.env.GUESTPASS_TEST_REQUIRE_POSTGRES === '1') {
  console.error(`PostgreSQL is required (GUESTPASS_TEST_REQUIRE_POSTGRES=1) but ${url.replace(/\/\/[^@]*@/, '//')} does not answer.`);
  process.exit(1);
} else {
  env.GUESTPASS_TEST_DATABASE_URL = 'skip';
}

const files = process.argv.length > 2 ? process.argv.slice(2) : [...findTests('src'), ...findTests('test'), ...findTests('tools')].sort();
// Node's runner runs availableParallelism() - 1 files at once: one on a 2-core machine, where
// most of a file's time is spent waiting on servers, processes and timers, not on a core.
const concurrency = process.env.GUESTPASS_TEST_CONCURRENCY || String(Math.max(2, availableParallelism()));
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env,
});
child.on('exit', async (code, signal) => {
  if (postgresUp) await dropRunSchemas(url, run);
  if (!postgresUp) {
    console.log(`\nNOTE: PostgreSQL did not answer at ${url.replace(/\/\/[^@]*@/, '//')}, so every PostgreSQL case was SKIPPED; only SQLite was tested.`);
    console.log('      Start PostgreSQL or set GUESTPASS_TEST_DATABASE_URL to run them.');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
