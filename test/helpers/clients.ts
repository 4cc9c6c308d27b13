import { loadConfig } from '../../src/app/config.js';
import { createContext } from '../../src/app/context.js';
import { newClientFromFlags, parseClientsArgs } from '../../src/cli/clients.js';
import { configFlags } from '../../src/cli/config-flags.js';
import type { NewClient } from '../../src/clients/types.js';
import { NO_GEOLOCATION } from './geolocation.js';

/** What `guestpass clients create --json` prints of a new client that tests use. */
export interface CreatedClient {
  client_id: string;
  client_secret?: string;
}

/**
 * The client that `guestpass clients create` flags describe, parsed by the CLI's own parser.
 * Flags that choose a store or configuration are refused: the caller's store is the one used.
 */
export function clientFromArgs(args: string[]): NewClient {
  const { values, positionals } = parseClientsArgs(args);
  const ignored = [
    ...positionals,
    ...Object.keys(values)
      .filter((name) => Object.hasOwn(configFlags, name))
      .map((name) => `--${name}`),
  ];
  if (ignored.length > 0) throw new Error(`the client is created on the test's own store and configuration; ${ignored.join(' ')} would be ignored`);
  return newClientFromFlags(values);
}

/**
 * Creates a client on the store that the GUESTPASS_* settings `env` name (a server process's or
 * a cluster's), in this process, as `guestpass clients create` does in its own: the same context
 * opened on the same settings, then closed. A spawned CLI cost each such test about a second of
 * CPU to load; the command line keeps its own tests. The context opens no geolocation files,
 * which creating a client never reads.
 */
export async function createClientOn(env: Record<string, string>, args: string[]): Promise<CreatedClient> {
  const input = clientFromArgs(args);
  const { config } = loadConfig({ env: { ...env, ...NO_GEOLOCATION, GUESTPASS_LOG_LEVEL: 'silent' } });
  const ctx = await createContext({ config });
  try {
    const { client, clientSecret } = await ctx.clients.create(input);
    return { client_id: client.id, ...(clientSecret ? { client_secret: clientSecret } : {}) };
  } finally {
    await ctx.close();
  }
}
