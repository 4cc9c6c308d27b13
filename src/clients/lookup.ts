import type { ClientCache } from './cache.js';
import { clientError } from './error-codes.js';
import type { Client } from './types.js';

/**
 * The client `id` for a request path, from the shared cache. Not for read-modify-write of a
 * client's settings: that goes through ClientService, which always reads the database.
 */
export async function cachedClient(cache: Pick<ClientCache, 'lookup'>, id: string): Promise<Client> {
  const { record } = await cache.lookup(id);
  if (!record) throw clientError('CLIENT_NOT_FOUND', 'The client of this session no longer exists.');
  return record.client;
}
