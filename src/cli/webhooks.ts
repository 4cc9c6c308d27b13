import { parseArgs } from 'node:util';
import type { OutboundEventName } from '../events/outbox.js';
import { endpointView } from '../webhooks/views.js';
import { configFlags } from './config-flags.js';
import { withContext } from './context.js';
import { UsageError } from './usage.js';

const USAGE = `Usage:
  guestpass webhooks create --url URL [--description D] [--event-type T]… [--client-id C]… [--json]
  guestpass webhooks list [--json]
  guestpass webhooks rotate ID [--expires-in SECONDS] [--json]
  guestpass webhooks disable ID
  guestpass webhooks enable ID
  guestpass webhooks delete ID`;

const print = (value: unknown): void => {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
};

const WEBHOOKS_OPTIONS = {
  ...configFlags,
  url: { type: 'string' },
  description: { type: 'string' },
  'event-type': { type: 'string', multiple: true },
  'client-id': { type: 'string', multiple: true },
  'expires-in': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function idOf(positionals: string[], action: string): string {
  const id = positionals[0];
  if (!id) throw new UsageError(`webhooks ${action} needs an endpoint id (see guestpass webhooks list).\n${USAGE}`);
  return id;
}

/** `guestpass webhooks …`: endpoints as the admin API manages them, from the command line. */
export async function webhooksCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: WEBHOOKS_OPTIONS });

  switch (action) {
    case 'create': {
      if (!values.url) throw new UsageError(`webhooks create needs --url.\n${USAGE}`);
      const input = {
        url: values.url,
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values['event-type'] ? { eventTypes: values['event-type'] as OutboundEventName[] } : {}),
        ...(values['client-id'] ? { clientIds: values['client-id'] } : {}),
      };
      const { endpoint, secret } = await withContext(values, (ctx) => ctx.webhooks.create(input));
      if (values.json) return print({ ...endpointView(endpoint), secret });
      print(`Created webhook endpoint ${endpoint.id}\n  url     ${endpoint.url}\n  secret  ${secret}\n(The secret is shown once; it is stored sealed.)`);
      return;
    }
    case 'list': {
      const endpoints = await withContext(values, (ctx) => ctx.webhooks.list());
      if (values.json) return print({ endpoints: endpoints.map(endpointView) });
      if (endpoints.length === 0) return print('No webhook endpoints yet: create one with `guestpass webhooks create --url URL`.');
      for (const endpoint of endpoints) {
        const state = endpoint.enabled ? 'enabled ' : endpoint.disabledReason === 'failing' ? 'failing ' : 'disabled';
        print(`${endpoint.id}  ${state}  ${(endpoint.eventTypes ?? ['*']).join(',')}  ${endpoint.url}`);
      }
      return;
    }
    case 'rotate': {
      const id = idOf(positionals, 'rotate');
      const expiresIn = values['expires-in'] === undefined ? 86400 : Number(values['expires-in']);
      if (!Number.isInteger(expiresIn) || expiresIn < 0 || expiresIn > 7 * 86400)
        throw new UsageError('--expires-in must be a whole number of seconds, at most 604800.');
      const { endpoint, secret } = await withContext(values, (ctx) => ctx.webhooks.rotateSecret(id, expiresIn));
      if (values.json) return print({ ...endpointView(endpoint), secret });
      const until = endpoint.previousSecretExpiresAt === null ? 'now' : `at ${new Date(endpoint.previousSecretExpiresAt).toISOString()}`;
      print(`New secret for ${id}:\n  ${secret}\nThe previous secret stops signing ${until}.`);
      return;
    }
    case 'disable':
    case 'enable': {
      const id = idOf(positionals, action);
      await withContext(values, (ctx) => ctx.webhooks.update(id, { enabled: action === 'enable' }));
      print(`Webhook endpoint ${id} ${action}d.`);
      return;
    }
    case 'delete': {
      const id = idOf(positionals, 'delete');
      await withContext(values, (ctx) => ctx.webhooks.delete(id));
      print(`Deleted webhook endpoint ${id} with its messages.`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}
