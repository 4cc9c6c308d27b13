import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeQuotedPrintable } from '../../../test/helpers/smtp-capture.js';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { repoRoot } from '../../../test/helpers/paths.js';
import { createShopApp } from '../src/app.js';
import { OrderStore } from '../src/orders.js';
import { bundleSdk } from '../src/sdk-bundle.js';
import { ensureShopClients } from '../src/setup.js';

/**
 * scripts/test.mjs runs the compiled copy from the checkout as its working folder; in a git
 * worktree `repoRoot` (found from the copy's real path) may be another checkout, so the
 * working folder is asked first, for the pages and the SDK alike.
 */
const checkout = existsSync(join(process.cwd(), 'examples/shop/public')) ? process.cwd() : repoRoot;

/** Whether the browser SDK the pages import (packages/web) is in this checkout; the shop's browser test skips, saying so, without it. */
export const sdkAvailable = existsSync(join(checkout, 'packages/web/src/index.ts'));

export interface RunningShop {
  url: string;
  guestpass: TestServer;
  /** The 6-digit code in the newest mail to `email` in Guestpass's development outbox. */
  codeMailedTo(email: string): Promise<string>;
  stop(): Promise<void>;
}

/** Guestpass (SQLite, mail into its development outbox) and the shop, both on loopback, wired as `npm run example:shop` wires them. */
export async function startShop(): Promise<RunningShop> {
  const guestpass = await startTestServer({ database: 'sqlite', env: { GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '1000' } });
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-shop-'));
  const orders = new OrderStore(join(dataDir, 'orders.sqlite'));
  // The client's allowed origin is the shop's, known once it listens: the handler comes after.
  let handler: RequestListener = (_request, response) => response.writeHead(503).end();
  const server = createServer((request, response) => handler(request, response)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients = await ensureShopClients(guestpass.ctx, url);
  handler = createShopApp({
    issuer: guestpass.ctx.issuer.value,
    ...clients,
    orders,
    sdkBundle: await bundleSdk(checkout),
    publicDir: join(checkout, 'examples/shop/public'),
  });
  const outbox = join(guestpass.env['GUESTPASS_DATA_DIR']!, 'outbox');

  return {
    url,
    guestpass,
    async codeMailedTo(email) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const mails = existsSync(outbox) ? readdirSync(outbox).sort().reverse() : [];
        for (const name of mails) {
          const text = decodeQuotedPrintable(readFileSync(join(outbox, name), 'utf8'));
          if (!text.includes(email)) continue;
          // After the headers (CRLF line ends, as SMTP carries them): ids and dates hold digits too.
          const code = /\b(\d{6})\b/.exec(text.slice(text.search(/\r?\n\r?\n/)))?.[1];
          if (code) return code;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no code mailed to ${email} in ${outbox}`);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      orders.close();
      await guestpass.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
