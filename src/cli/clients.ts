import { parseArgs } from 'node:util';
import { clientView } from '../clients/admin-routes.js';
import { guestSettingsFromJson, type GuestSettings, type GuestSettingsJson } from '../clients/guest-settings.js';
import type { ClientType, GrantType, NewClient } from '../clients/types.js';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass clients create --name N --type public|confidential [--origin URL]… [--scope S]… [--audience A]… [--admin]
                           [--guest-scope S]… [--guest-settings JSON] [--user-scope S]… [--grant G]… [--json]
      --grant G   a grant type the client may use (repeat for several; replaces the default list):
                  client_credentials, refresh_token, urn:ietf:params:oauth:grant-type:device_code (alias: device_code)
  guestpass clients list [--json]
  guestpass clients rotate-secret ID [--overlap SECONDS] [--json]
  guestpass clients delete ID`;

const print = (value: unknown): void => {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
};

/** `--guest-settings '{"refresh_grace": 10}'` (the admin API's snake_case) plus `--guest-scope`. */
function guestSettingsFlag(json: string | undefined, scopes: string[] | undefined): Partial<GuestSettings> {
  let parsed: GuestSettingsJson = {};
  if (json !== undefined) {
    try {
      parsed = JSON.parse(json) as GuestSettingsJson;
    } catch {
      throw new UsageError('--guest-settings must be a JSON object such as \'{"refresh_grace": 10, "transport": "cookie"}\'.');
    }
  }
  return guestSettingsFromJson({ ...parsed, ...(scopes ? { scopes } : {}) });
}

/** `--grant device_code` is short for the RFC 8628 URN; anything else is checked by the client service. */
function grantTypeFlag(value: string): GrantType {
  return (value === 'device_code' ? 'urn:ietf:params:oauth:grant-type:device_code' : value) as GrantType;
}

/** The flags of every `guestpass clients` action: the configuration flags plus their own. */
const CLIENTS_OPTIONS = {
  ...configFlags,
  name: { type: 'string' },
  type: { type: 'string' },
  origin: { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  audience: { type: 'string', multiple: true },
  admin: { type: 'boolean' },
  'guest-scope': { type: 'string', multiple: true },
  'guest-settings': { type: 'string' },
  'user-scope': { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
  overlap: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Parses what follows `guestpass clients <action>`; unknown flags are refused. */
export function parseClientsArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, strict: true, options: CLIENTS_OPTIONS });
}

export type ClientsFlags = ReturnType<typeof parseClientsArgs>['values'];

/** The client that `clients create` flags describe, as ClientService.create takes it. */
export function newClientFromFlags(values: ClientsFlags): NewClient {
  if (!values.name || !values.type) throw new UsageError(`clients create needs --name and --type.\n${USAGE}`);
  if (values.type !== 'public' && values.type !== 'confidential') throw new UsageError('--type must be public or confidential.');
  return {
    name: values.name,
    type: values.type as ClientType,
    isAdmin: values.admin ?? false,
    allowedOrigins: values.origin ?? [],
    scopes: values.scope ?? [],
    audiences: values.audience ?? [],
    guest: guestSettingsFlag(values['guest-settings'], values['guest-scope']),
    ...(values.grant ? { grantTypes: values.grant.map(grantTypeFlag) } : {}),
    // Without --user-scope, registered users get the guest scopes (user.scopes null).
    ...(values['user-scope'] ? { user: { scopes: values['user-scope'] } } : {}),
  };
}

export async function clientsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseClientsArgs(rest);

  switch (action) {
    case 'create': {
      const input = newClientFromFlags(values);
      const { client, clientSecret } = await withContext(values, (ctx) => ctx.clients.create(input));
      if (values.json) return print({ ...clientView(client), ...(clientSecret ? { client_secret: clientSecret } : {}) });
      print(`Created ${client.type} client "${client.name}"\n  client_id      ${client.id}`);
      if (clientSecret) print(`  client_secret  ${clientSecret}\n(The secret is shown once; only its hash is stored.)`);
      return;
    }
    case 'list': {
      const clients = await withContext(values, (ctx) => ctx.clients.list());
      if (values.json) return print({ clients: clients.map(clientView) });
      if (clients.length === 0) return print('No clients yet: create one with `guestpass clients create`.');
      for (const client of clients) {
        print(`${client.id}  ${client.type.padEnd(12)}  ${client.isAdmin ? 'admin  ' : '       '}  ${client.name}`);
      }
      return;
    }
    case 'rotate-secret': {
      const id = positionals[0];
      if (!id) throw new UsageError(`clients rotate-secret needs a client id.\n${USAGE}`);
      const overlap = values.overlap === undefined ? 86400 : Number(values.overlap);
      if (!Number.isInteger(overlap) || overlap < 0) throw new UsageError('--overlap must be a whole number of seconds.');
      const { clientSecret, oldSecretsExpireAt } = await withContext(values, (ctx) => ctx.clients.rotateSecret(id, overlap));
      if (values.json) return print({ client_id: id, client_secret: clientSecret, old_secrets_expire_at: oldSecretsExpireAt });
      print(`New client_secret for ${id}:\n  ${clientSecret}\nOld secrets stop working at ${new Date(oldSecretsExpireAt).toISOString()}.`);
      return;
    }
    case 'delete': {
      const id = positionals[0];
      if (!id) throw new UsageError(`clients delete needs a client id.\n${USAGE}`);
      await withContext(values, (ctx) => ctx.clients.delete(id));
      print(`Deleted client ${id}.`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
