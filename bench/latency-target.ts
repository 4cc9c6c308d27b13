// One server for `npm run bench -- latency`, run as a child process by bench/latency.ts (see
// bench/target.ts): Guestpass as deployed, with anomaly detection on or off, believing one
// X-Forwarded-For hop so the load can come from thousands of real networks. Only
// `import type` this module from elsewhere: importing it starts a server.
import { serveTarget, startGuestpass, type Running } from './target.js';

export interface LatencyTarget {
  url: string;
  clientId: string;
}

// High enough never to refuse: the limiters run, but a 429 would not measure detection.
const UNTHROTTLED = '100000000';

async function guestpass(detection: boolean): Promise<Running<LatencyTarget>> {
  const { server, close } = await startGuestpass({
    GUESTPASS_ANOMALY_DETECTION: String(detection),
    GUESTPASS_TRUSTED_PROXIES: '1',
    GUESTPASS_GUEST_RATE_LIMIT_PER_IP: UNTHROTTLED,
    GUESTPASS_GUEST_RATE_LIMIT_PER_PREFIX: UNTHROTTLED,
    GUESTPASS_GUEST_RATE_LIMIT_PER_CLIENT: UNTHROTTLED,
    GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: UNTHROTTLED,
    GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: UNTHROTTLED,
  });
  // Measure detection as it runs in steady state: with the geolocation and ASN data loaded.
  if (detection) await server.ctx.anomaly.geo.ready();
  const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public' });
  return { info: { url: server.url, clientId: client.id }, close };
}

await serveTarget({ 'detection-on': () => guestpass(true), 'detection-off': () => guestpass(false) });
