// One server under load for `npm run bench -- ingest`, run as a child process by
// bench/ingest.ts (see bench/target.ts). Only `import type` this module from elsewhere:
// importing it starts a server.
import { type BenchDatabase, serveTarget, startGuestpass, type Running, UNTHROTTLED_LIMITS } from './target.js';

export interface IngestTarget {
  /** POST /v1/events. */
  url: string;
  /** POST /anonymous/token, to open one guest session per connection. */
  tokenUrl: string;
  clientId: string;
  origin: string;
}

const ORIGIN = 'http://bench.localhost';

/** Guestpass on `database` with a public client whose guests hold telemetry:write. */
async function guestpass(database: BenchDatabase): Promise<Running<IngestTarget>> {
  const { server, close } = await startGuestpass(UNTHROTTLED_LIMITS, database);
  const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public', allowedOrigins: [ORIGIN], guest: { scopes: ['telemetry:write'] } });
  return { info: { url: `${server.url}/v1/events`, tokenUrl: `${server.url}/anonymous/token`, clientId: client.id, origin: ORIGIN }, close };
}

const starters = {
  'batch-50': () => guestpass('sqlite'),
  'batch-1': () => guestpass('sqlite'),
  'batch-50-pg': () => guestpass('postgres'),
  'batch-1-pg': () => guestpass('postgres'),
} satisfies Record<string, () => Promise<Running<IngestTarget>>>;
export type IngestTargetName = keyof typeof starters;

await serveTarget(starters);
