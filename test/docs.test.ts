import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorsDocument, readmeWithTable } from '../scripts/docs.js';
import { EVENT_TYPES } from '../src/anomaly/replay.js';
import { freshSdkReference, readTree, REFERENCE_DIR } from '../scripts/sdk-reference.js';
import { errorCatalogues } from '../src/app/error-catalogue.js';

describe('generated documentation', () => {
  it('should have the README configuration table in step with src/config/options.ts (run `npm run docs`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.equal(readme, readmeWithTable(readme));
  });

  it('should document every error code in docs/errors.md (run `npm run docs`)', () => {
    assert.equal(readFileSync('docs/errors.md', 'utf8'), errorsDocument());
  });

  it('should give every domain event a row in docs/events.md', () => {
    const events = readFileSync('docs/events.md', 'utf8');
    const missing = EVENT_TYPES.filter((type) => !events.includes(`| \`${type}\` |`));
    assert.deepEqual(missing, [], 'events without a row in docs/events.md');
  });

  it('should have the SDK reference in step with the packages’ exported types (run `npm run docs`)', async () => {
    const fresh = await freshSdkReference();
    const committed = readTree(REFERENCE_DIR);
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), `the pages of ${REFERENCE_DIR}`);
    for (const [path, text] of fresh) assert.equal(committed.get(path), text, `${REFERENCE_DIR}/${path}`);
  });

  it('should use in the web quick start only what the SDK and the middleware export', () => {
    const page = readFileSync('docs/quick-start-web.md', 'utf8');
    const types = readFileSync('packages/web/src/types.ts', 'utf8');
    const members = (name: string) =>
      new Set([...(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(types)?.[1] ?? '').matchAll(/^ {2}(\w+)\??[(:]/gm)].map((m) => m[1]));
    const methods = members('Guestpass');
    for (const [, method] of page.matchAll(/\bgp\.(\w+)\(/g)) assert.ok(methods.has(method!), `gp.${method} is not in the Guestpass interface`);
    const options = members('GuestpassOptions');
    for (const [, list] of page.matchAll(/createGuestpass\(\{([^}]*)\}/g))
      for (const [, key] of list!.matchAll(/(?:^|,)\s*(\w+):/g)) assert.ok(options.has(key!), `createGuestpass has no option ${key}`);
    const exported = (file: string) =>
      new Set(
        [...readFileSync(file, 'utf8').matchAll(/export (?:async )?(?:function|const|class) (\w+)|export \{([^}]*)\}/g)].flatMap((m) =>
          m[1] ? [m[1]] : m[2]!.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim()),
        ),
      );
    const modules: Record<string, string> = {
      '@guestpass/web': 'packages/web/src/index.ts',
      '@guestpass/resource-server/express': 'packages/resource-server/src/express.ts',
    };
    for (const [, names, from] of page.matchAll(/import \{([^}]*)\} from '(@guestpass\/[^']+)'/g)) {
      const names_ = exported(modules[from!]!);
      for (const name of names!.split(',').map((n) => n.trim())) assert.ok(names_.has(name), `${from} exports no ${name}`);
    }
  });

  it('should give every error code an UPPER_SNAKE name, a real status and a sentence to act on', () => {
    for (const catalogue of Object.values(errorCatalogues)) {
      for (const [code, spec] of Object.entries(catalogue)) {
        assert.match(code, /^[A-Z][A-Z0-9_]+$/);
        assert.ok(spec.status >= 400 && spec.status < 600, code);
        assert.match(spec.error, /^[a-z_]+$/, code);
        assert.ok(spec.description.length > 20 && spec.description.endsWith('.'), `${code} needs a full sentence`);
      }
    }
  });
});
