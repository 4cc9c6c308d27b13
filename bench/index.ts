// `npm run bench -- <name>`: benchmarks, kept out of `npm test` because they take minutes and
// their numbers depend on the machine. Each bench is a module exporting `main()`; modules are
// imported lazily so one bench's dependencies (oidc-provider, autocannon) do not load for another.
const benches: Record<string, { about: string; load: () => Promise<{ main(): Promise<unknown> }> }> = {
  sign: { about: 'access-token signing: jose SignJWT vs node:crypto, in-process', load: () => import('./sign.js') },
  token: { about: 'client_credentials over HTTP: Guestpass vs oidc-provider vs a bare Fastify', load: () => import('./token.js') },
  anonymous: { about: 'guest-session creation and refresh over HTTP: Guestpass vs better-auth vs a bare Fastify', load: () => import('./anonymous.js') },
  anomaly: { about: 'detection engine: memory for 1M sessions, cost per event (p50/p99)', load: () => import('./anomaly.js') },
  latency: {
    about: 'what inline anomaly detection adds to p99 request latency: the token lifecycle at a fixed rate, detection on vs off',
    load: () => import('./latency.js'),
  },
  cull: {
    about: 'the guest cull: 1M stale guests seeded on SQLite and PostgreSQL, then culled; guests deleted per second',
    load: () => import('./cull.js'),
  },
  webhooks: {
    about: 'webhook deliveries per second to a loopback receiver, and what the outbox adds to a merge (with and without endpoints)',
    load: () => import('./webhooks.js'),
  },
  cluster: {
    about: 'one node vs three on PostgreSQL + Redis (through the test proxy): creation, refresh, token check, ingest; per-request SQL and Redis costs',
    load: () => import('./cluster.js'),
  },
  ingest: {
    about: 'telemetry POST /v1/events over HTTP, batches of 50 and 1, vs raw better-sqlite3 inserts of the same rows',
    load: () => import('./ingest.js'),
  },
  memory: {
    about: 'start-up time to the first token on a fresh data folder, and RSS at idle and under load, per GUESTPASS_GEOIP_LOAD (compiled entry: build first)',
    load: () => import('./memory.js'),
  },
  all: {
    about: "token, anonymous, ingest, latency and memory one after another, then one table of every path (the README's Performance section)",
    load: () => import('./all.js'),
  },
};

const name = process.argv[2];
const bench = name === undefined ? undefined : benches[name];
if (!bench) {
  console.error('Usage: npm run bench -- <name>\n');
  for (const [key, { about }] of Object.entries(benches)) console.error(`  ${key.padEnd(11)}${about}`);
  process.exitCode = name === undefined || name === '--help' ? 0 : 1;
} else {
  await bench.load().then((module) => module.main());
}
