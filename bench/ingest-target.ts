// One server under load for `npm run bench -- ingest`, run as a child process by
// bench/ingest.ts (see bench/target.ts). Only `import type` this module from elsewhere:
// importing it starts a server.
import { serveTarget, startGuestpass, type Running } from './target.js';

export interface IngestTarget {
  /** POST /v1/events. */
  url: string;
  /** POST /anonymous/token, to open one guest session per connection. */
  tokenUrl: string;
  clientId: string;
  origin: string;
}

const ORIGIN = 'http://bench.localhost';
// High enough never to refuse: the limiters run, their 429s are not what is measured.
const UNTHROTTLED = '100000000';

/** Guestpass on SQLite with a public client whose guests hold telemetry:write. */
async function guestpass(): Promise<Running<IngestTarget>> {
  const { server, close } = await startGuestpass({
    GUESTPASS_GUEST_RATE_LIMIT_PER_IP: UNTHROTTLED,
    GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: UNTHROTTLED,
    GUESTPASS_GUEST_RATE_LIMIT_PER_CLIENT: UNTHROTTLED,
    GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_SESSION: UNTHROTTLED,
    GUESTPASS_TELEMETRY_EVENTS_PER_MINUTE_PER_CLIENT: UNTHROTTLED,
  });
  const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public', allowedOrigins: [ORIGIN], guest: { scopes: ['telemetry:write'] } });
  return { info: { url: `${server.url}/v1/events`, tokenUrl: `${server.url}/anonymous/token`, clientId: client.id, origin: ORIGIN }, close };
}

const starters = { 'batch-50': guestpass, 'batch-1': guestpass } satisfies Record<string, () => Promise<Running<IngestTarget>>>;
export type IngestTargetName = keyof typeof starters;

await serveTarget(starters);
