/**
 * The architecture of Guestpass, written down as rules that `npm test` checks
 * (test/architecture.test.ts runs dependency-cruiser with this file; run it by hand with
 * `npx depcruise --config .dependency-cruiser.cjs src test tools bench scripts`).
 *
 * Layers, from the bottom:
 *   shared/                        primitives every layer may use: the error type, the HTTP error
 *                                  catalogue, network facts, client-JSON parsing, the metrics registry
 *   config/ crypto/ events/ storage/   the base: options and their parsing, keys and secrets,
 *                                  the event bus and its event types, the database
 *   features                       every other folder of src/ (accounts, anomaly, clients, dpop,
 *                                  oauth, ratelimit, sessions, telemetry, and any new one)
 *   app/ cli/                      the composition root: builds the features and wires them
 *
 * A layer imports only layers below it, types included; a feature imports another feature only
 * through that feature's index.ts, and is handed the other feature's services by app/, which
 * builds each feature from the dependencies its factory names. Tests (*.test.ts) may reach
 * anywhere to build what they test, so the layer rules skip them; they still may not create cycles.
 */

const SHARED = '^src/shared/';
const BASE = '^src/(?:config|crypto|events|storage)/';
const ROOT = '^src/(?:app|cli)/';
/** A feature is any folder of src/ that is not shared/, the base or the composition root. */
const FEATURE = '^src/(?!(?:shared|config|crypto|events|storage|app|cli)/)[^/]+/';
const TEST = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means neither module can be understood, tested or loaded without the other, and ESM evaluates one of them half-initialised.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-at-runtime',
      severity: 'error',
      comment: 'No cycle of imports that exist at run time, wherever it runs: this is the one that breaks module loading.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'shared-imports-nothing-from-src',
      severity: 'error',
      comment: 'shared/ is the bottom layer: it imports no feature, no base folder and not app/ or cli/, so anything may use it without pulling the server in.',
      from: { path: SHARED },
      to: { path: '^src/', pathNot: SHARED },
    },
    {
      name: 'base-imports-no-feature',
      severity: 'error',
      comment:
        'config/, crypto/, events/ and storage/ serve the features and must not know them; app/ collects what features declare (options, error catalogues). ' +
        'The one exception is the Kysely Database type, see schema-composes-only-table-types.',
      from: { path: BASE, pathNot: ['^src/storage/schema\\.ts$', TEST] },
      to: { path: FEATURE },
    },
    {
      name: 'schema-composes-only-table-types',
      severity: 'error',
      comment:
        'storage/schema.ts composes the one Database type that every store and every cross-feature transaction is typed with, from each ' +
        "feature's tables.ts. It may import those files only, and only as types (erased at run time), so the base loads no feature.",
      from: { path: '^src/storage/schema\\.ts$' },
      to: { path: FEATURE, pathNot: `${FEATURE}tables\\.ts$` },
    },
    {
      name: 'schema-imports-table-types-only',
      severity: 'error',
      comment: 'See schema-composes-only-table-types: a value import of a feature from storage/ would load that feature with the database.',
      from: { path: '^src/storage/schema\\.ts$' },
      to: { path: FEATURE, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'tables-are-leaves',
      severity: 'error',
      comment: "A feature's tables.ts declares row types and imports nothing from src, so storage/schema.ts importing it can never close a cycle.",
      from: { path: `${FEATURE}tables\\.ts$` },
      to: { path: '^src/' },
    },
    {
      name: 'manifest-is-a-declaration',
      severity: 'error',
      comment:
        'A manifest.ts is read by app/config.ts, app/error-catalogue.ts and the docs generator without building anything: it imports only ' +
        'its options, its error catalogues and the manifest type, so collecting every manifest loads no service, store or route.',
      from: { path: '^src/[a-z-]+/manifest\\.ts$' },
      to: {
        path: '^src/',
        pathNot: ['(?:^|/)options\\.ts$', '(?:^|/)error-codes\\.ts$', '^src/config/feature-manifest\\.ts$'],
      },
    },
    {
      name: 'features-never-import-app',
      severity: 'error',
      comment:
        'app/ and cli/ build and wire everything: app/context.ts builds each feature from the narrow dependencies its factory names ' +
        '(`createX(deps: XDeps)` in feature.ts). Nothing below them imports them, not even a type: a feature that names the composed ' +
        'context can reach every other feature through it (a service locator), and every such import closes a cycle through app/.',
      from: { path: '^src/', pathNot: [ROOT, TEST] },
      to: { path: ROOT },
    },
    {
      name: 'feature-through-index',
      severity: 'error',
      comment:
        'A feature uses another only through its index.ts, the API it chose to offer; its other files may change freely. Routes and factories live in feature.ts, which only app/ imports.',
      from: { path: '^src/([^/]+)/', pathNot: [SHARED, BASE, ROOT, TEST] },
      to: { path: FEATURE, pathNot: ['^src/$1/', `${FEATURE}index\\.ts$`] },
    },
    {
      name: 'index-is-an-api-not-routes',
      severity: 'error',
      comment:
        "A feature's index.ts exports what other features may use, not its routes or its factory (feature.ts): an index that loads routes loads " +
        'half the server and turns every import of it into a cycle.',
      from: { path: `${FEATURE}index\\.ts$` },
      to: { path: ['(?:^|/)feature\\.ts$', '(?:^|/)[^/]*routes?\\.ts$', '/http/'] },
    },
    {
      name: 'store-imports-no-service-or-route',
      severity: 'error',
      comment:
        'A store speaks SQL and domain types and nothing else: if it imported a service or a route, storage would depend on the HTTP layer ' +
        'and the layer that calls it.',
      from: { path: '^src/.*store[^/]*\\.ts$', pathNot: TEST },
      to: { path: ['(?:^|/)[^/]*service\\.ts$', '(?:^|/)[^/]*routes?\\.ts$', '(?:^|/)feature\\.ts$', '/http/'] },
    },
    {
      name: 'product-imports-no-tooling',
      severity: 'error',
      comment: 'The server ships dist/ built from src/: it must not import tests, tools, benchmarks or scripts (the simulator is loaded by URL when run).',
      from: { path: '^src/', pathNot: TEST },
      to: { path: '^(?:test|tools|bench|scripts)/' },
    },
    {
      name: 'product-uses-no-dev-dependencies',
      severity: 'error',
      comment: 'A dependency the server imports must be in "dependencies": an installed package has no devDependencies.',
      from: { path: '^src/', pathNot: TEST },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type cycle is a design cycle, and the type-only rules above need to see them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
