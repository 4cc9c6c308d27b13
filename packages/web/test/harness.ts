import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { bundleSdk } from './bundle.js';

/**
 * The test page: it loads the built SDK from its own origin and creates `window.gp` from its
 * query string, with a clock that runs `speed` times as fast as the wall clock from `t0`, the
 * same clock the test server runs on, so a 30 s access token lives 30/speed real seconds in
 * both. `nolocks` hides the Web Locks API to exercise the BroadcastChannel fallback.
 */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk test</title>
<script type="module">
import { createGuestpass, GuestpassError } from '/sdk.js';
const q = new URLSearchParams(location.search);
if (q.has('nolocks')) Object.defineProperty(navigator, 'locks', { value: undefined });
const t0 = Number(q.get('t0')), speed = Number(q.get('speed'));
window.GuestpassError = GuestpassError;
window.gp = createGuestpass({
  issuer: q.get('issuer'), clientId: q.get('client'), transport: q.get('transport') || 'body', dpop: q.has('dpop'),
  now: () => t0 + (Date.now() - t0) * speed,
  telemetry: { batchSize: 50, flushInterval: 600000 },
});
window.changes = [];
gp.onChange((change) => changes.push(change));
window.ready = true;
</script>`;

export interface PageServer {
  origin: string;
  close(): Promise<void>;
}

/** A static server on 127.0.0.1 for the test page and the bundled SDK: the origin the public client allows. */
export async function startPageServer(): Promise<PageServer> {
  const sdk = await bundleSdk();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/sdk.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else if (path === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface PageParams {
  issuer: string;
  client: string;
  t0: number;
  speed: number;
  transport?: 'body' | 'cookie';
  dpop?: boolean;
  nolocks?: boolean;
}

export function pageUrl(origin: string, { dpop, nolocks, transport = 'body', ...rest }: PageParams): string {
  const query = new URLSearchParams({ ...rest, t0: String(rest.t0), speed: String(rest.speed), transport });
  if (dpop) query.set('dpop', '1');
  if (nolocks) query.set('nolocks', '1');
  return `${origin}/?${query}`;
}

export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  return page;
}
