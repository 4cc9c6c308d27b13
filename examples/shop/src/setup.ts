import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AppContext } from '../../../src/app/context.js';
import { guestSettingsFromJson } from '../../../src/clients/guest-settings.js';
import { SHOP_API_CLIENT, shopClient } from './guestpass-clients.js';

export interface ShopClients {
  clientId: string;
  introspection: { clientId: string; clientSecret: string };
}

/**
 * Creates the shop's two clients through Guestpass's client service, as
 * `guestpass clients create` would. With `file`, the ids (and the API's secret) are kept there
 * and reused on the next start, so guests' sessions survive a restart of the example.
 */
export async function ensureShopClients(ctx: Pick<AppContext, 'clients'>, origin: string, file?: string): Promise<ShopClients> {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ShopClients;
  const { allowed_origins, guest, user, ...rest } = shopClient(origin);
  const web = await ctx.clients.create({ ...rest, allowedOrigins: allowed_origins, guest: guestSettingsFromJson(guest), user });
  const api = await ctx.clients.create(SHOP_API_CLIENT);
  const clients: ShopClients = { clientId: web.client.id, introspection: { clientId: api.client.id, clientSecret: api.clientSecret! } };
  // The secret is the API's credential: only its owner may read the file.
  if (file) writeFileSync(file, `${JSON.stringify(clients, null, 2)}\n`, { mode: 0o600 });
  return clients;
}
