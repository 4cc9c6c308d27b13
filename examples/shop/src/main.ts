import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../src/app/config.js';
import { startServer } from '../../../src/app/server.js';
import { createShopApp } from './app.js';
import { OrderStore } from './orders.js';
import { bundleSdk } from './sdk-bundle.js';
import { ensureShopClients } from './setup.js';

/**
 * `npm run example:shop`: Guestpass on its embedded SQLite and the shop, in one process, with
 * everything kept under examples/shop/.data (delete it to start over). In production Guestpass
 * runs on its own (`guestpass serve`) and the shop only knows its URL and client ids.
 */
const repoRoot = resolve(import.meta.dirname, '../../..');
const dataDir = resolve(process.env['SHOP_DATA_DIR'] ?? join(import.meta.dirname, '..', '.data'));
const shopPort = Number(process.env['SHOP_PORT'] ?? 3000);
const guestpassPort = Number(process.env['SHOP_GUESTPASS_PORT'] ?? 4455);
const shopOrigin = `http://127.0.0.1:${shopPort}`;
mkdirSync(dataDir, { recursive: true });

const { config } = loadConfig({
  env: { ...process.env, GUESTPASS_DATA_DIR: join(dataDir, 'guestpass'), GUESTPASS_DEV_CLIENTS: 'false' },
  flags: { port: String(guestpassPort), host: '127.0.0.1' },
});
const guestpass = await startServer({ config, logger: { level: 'warn' }, print: () => {} });
const clients = await ensureShopClients(guestpass.ctx, shopOrigin, join(dataDir, 'clients.json'));
const orders = new OrderStore(join(dataDir, 'orders.sqlite'));
const app = createShopApp({ issuer: guestpass.ctx.issuer.value, ...clients, orders, sdkBundle: await bundleSdk(repoRoot) });
const shop = createServer(app).listen(shopPort, '127.0.0.1');
await once(shop, 'listening');

console.log(`Guestpass  ${guestpass.url}`);
console.log(`Shop       ${shopOrigin}   ← open this`);
console.log(`Mail       ${join(dataDir, 'guestpass', 'outbox')} (sign-up codes land here as .eml files)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    shop.close();
    orders.close();
    void guestpass.close().then(() => process.exit(0));
  });
}
