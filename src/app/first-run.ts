import type { AppContext } from './context.js';

export interface DevClients {
  publicClientId: string;
  confidentialClientId: string;
  confidentialClientSecret: string;
}

/**
 * On the first start with no clients, creates a development public client and a confidential
 * one, so `npm start` is immediately usable. The secret exists only in this return value:
 * the caller prints it once, and only its hash is stored.
 */
export async function createDevClients(ctx: AppContext): Promise<DevClients | undefined> {
  if (!ctx.config.devClients || (await ctx.clients.count()) > 0) return undefined;
  const publicClient = await ctx.clients.create({
    name: 'Development public client',
    type: 'public',
    allowedOrigins: ['http://localhost:3000', 'http://localhost:5173'],
  });
  const confidential = await ctx.clients.create({ name: 'Development confidential client', type: 'confidential' });
  return {
    publicClientId: publicClient.client.id,
    confidentialClientId: confidential.client.id,
    confidentialClientSecret: confidential.clientSecret!,
  };
}

export function devClientsBanner(issuer: string, dev: DevClients): string {
  return [
    '',
    'Guestpass created two development clients (shown once; only a hash of the secret is kept):',
    `  public client        ${dev.publicClientId}  (origins http://localhost:3000, http://localhost:5173)`,
    `  confidential client  ${dev.confidentialClientId}`,
    `  client secret        ${dev.confidentialClientSecret}`,
    '',
    'Get an access token:',
    `  curl -s -u '${dev.confidentialClientId}:${dev.confidentialClientSecret}' -d grant_type=client_credentials ${issuer}/oauth/token`,
    '',
    `Lost the secret? \`npx guestpass clients rotate-secret ${dev.confidentialClientId}\` prints a new one.`,
    '',
  ].join('\n');
}
