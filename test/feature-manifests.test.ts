import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { architectureWithTable } from '../scripts/docs.js';
import { errorCatalogues } from '../src/app/error-catalogue.js';
import { manifests } from '../src/app/features.js';
import { type FeatureManifest, routeCovers } from '../src/config/feature-manifest.js';
import { migrationNames } from '../src/storage/migrate.js';
import type { Store } from '../src/storage/database.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { openTestStore } from './helpers/store.js';

const all: readonly FeatureManifest[] = manifests;

/** The manifests whose entries satisfy `holds`, by name. */
const ownersOf = (holds: (manifest: FeatureManifest) => boolean) => all.filter(holds).map((manifest) => manifest.name);

/**
 * Every table of the store's own schema, the migrator's included. A partition (PostgreSQL's
 * time partitions of `events`) is part of its table, owned with it, so it is not listed.
 */
async function tablesOf(store: Store): Promise<string[]> {
  const { rows } =
    store.dialect === 'postgres'
      ? await sql<{
          name: string;
        }>`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${store.schema} and c.relkind in ('r', 'p', 'v') and not c.relispartition`.execute(
          store.db,
        )
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(store.db);
  return rows.map((row) => row.name).sort();
}

/**
 * Registered routes from Fastify's route tree (`printRoutes` with no common prefix): each line
 * is a path segment under its parent, and the lines with methods are routes.
 */
function registeredUrls(tree: string): string[] {
  const urls = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    const url = `${depth > 0 ? stack[depth - 1] : ''}${match[2]}`;
    stack[depth] = url;
    stack.length = depth + 1;
    if (match[3]) urls.add(url);
  }
  return [...urls].sort();
}

describeEachDatabase('feature manifests: tables', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_manifests'));
  });
  after(async () => close());

  it('should give every table of a freshly migrated database exactly one owning manifest', async () => {
    const tables = await tablesOf(store);
    assert.ok(tables.includes('users') && tables.includes('keys'), `unexpected tables: ${tables.join(', ')}`);
    for (const table of tables) assert.deepEqual(ownersOf((manifest) => manifest.tables.includes(table)).length, 1, `owners of ${table}`);
  });

  it('should name in manifests only tables the migrations create', async () => {
    const tables = await tablesOf(store);
    for (const manifest of all)
      for (const table of manifest.tables) assert.ok(tables.includes(table), `${manifest.name} owns ${table}, which no migration creates`);
  });
});

describe('feature manifests: routes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ database: 'sqlite' });
  });
  after(async () => server.stop());

  it('should put every registered route under exactly one manifest', () => {
    const urls = registeredUrls(server.app.printRoutes({ commonPrefix: false }));
    assert.ok(urls.includes('/oauth/token') && urls.includes('/admin/api/users/:id/sessions'), `routes not read from the tree: ${urls.join(' ')}`);
    for (const url of urls) {
      const owners = ownersOf((manifest) => manifest.routes.some((entry) => routeCovers(entry, url)));
      assert.equal(owners.length, 1, `${url} is served by ${owners.join(', ') || 'no manifest'}`);
    }
  });

  it('should name in manifests no URL that no route has', () => {
    const urls = registeredUrls(server.app.printRoutes({ commonPrefix: false }));
    for (const manifest of all) {
      for (const entry of manifest.routes)
        assert.ok(
          urls.some((url) => routeCovers(entry, url)),
          `${manifest.name} declares ${entry}, which no route serves`,
        );
    }
  });
});

describe('feature manifests: declarations', () => {
  it('should name each manifest once', () => {
    assert.equal(new Set(all.map((manifest) => manifest.name)).size, all.length);
  });

  it('should declare every option once: its name, its variable and its flag', () => {
    const names = all.flatMap((manifest) => Object.keys(manifest.options));
    const variables = all.flatMap((manifest) => Object.values(manifest.options).map((spec) => spec.env));
    assert.equal(new Set(names).size, names.length, 'an option name is declared twice');
    assert.equal(new Set(variables).size, variables.length, 'an environment variable is declared twice');
  });

  it('should list every error catalogue once, and give a code that two catalogues share one meaning', () => {
    const catalogues = all.flatMap((manifest) => Object.entries(manifest.errors));
    assert.equal(new Set(catalogues.map(([name]) => name)).size, catalogues.length, 'a catalogue name is used twice');
    assert.equal(new Set(catalogues.map(([, catalogue]) => catalogue)).size, catalogues.length, 'a catalogue is listed twice');
    assert.deepEqual(
      Object.keys(errorCatalogues),
      catalogues.map(([name]) => name),
    );
    // Logs and the errors metric name a failure by its code: a code in two catalogues must be the same failure.
    const meaning = new Map<string, string>();
    for (const [name, catalogue] of catalogues) {
      for (const [code, spec] of Object.entries(catalogue)) {
        const seen = meaning.get(code);
        assert.ok(seen === undefined || seen === `${spec.status} ${spec.error}`, `${code} of ${name} means ${spec.status} ${spec.error}, elsewhere ${seen}`);
        meaning.set(code, `${spec.status} ${spec.error}`);
      }
    }
  });

  it('should name only migrations that exist, and every migration in some manifest', () => {
    const named = new Set(all.flatMap((manifest) => manifest.migrations));
    for (const name of named) assert.ok(migrationNames.includes(name), `${name} is not a migration`);
    for (const name of migrationNames) assert.ok(named.has(name), `no manifest names ${name}`);
  });

  it('should have the feature table of docs/architecture.md in step with the manifests (run `npm run docs`)', () => {
    const document = readFileSync('docs/architecture.md', 'utf8');
    assert.equal(document, architectureWithTable(document));
  });
});
