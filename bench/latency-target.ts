// One server for `npm run bench -- latency`, run as a child process by bench/latency.ts (see
// bench/target.ts): Guestpass as deployed, with anomaly detection on or off, believing one
// X-Forwarded-For hop so the load can come from thousands of real networks. Only
// `import type` this module from elsewhere: importing it starts a server.
import { serveTarget, startGuestpass, type Running, UNTHROTTLED_LIMITS } from './target.js';

export interface LatencyTarget {
  url: string;
  clientId: string;
}

async function guestpass(detection: boolean): Promise<Running<LatencyTarget>> {
  const { server, close } = await startGuestpass({
    GUESTPASS_ANOMALY_DETECTION: String(detection),
    GUESTPASS_TRUSTED_PROXIES: '1',
    ...UNTHROTTLED_LIMITS,
  });
  // Measure detection as it runs in steady state: with the geolocation and ASN data loaded.
  if (detection) await server.ctx.anomaly.geo.ready();
  const { client } = await server.ctx.clients.create({ name: 'bench', type: 'public' });
  return { info: { url: server.url, clientId: client.id }, close };
}

await serveTarget({ 'detection-on': () => guestpass(true), 'detection-off': () => guestpass(false) });
