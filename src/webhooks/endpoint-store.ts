import type { Kysely, Selectable } from 'kysely';
import type { OutboundEventName } from '../events/outbox.js';
import type { Database } from '../storage/schema.js';
import type { WebhookEndpointsTable } from './tables.js';
import type { WebhookEndpoint } from './types.js';

export type EndpointRow = Selectable<WebhookEndpointsTable>;

export function endpointOf(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types === null ? null : (JSON.parse(row.event_types) as OutboundEventName[]),
    clientIds: row.client_ids === null ? null : (JSON.parse(row.client_ids) as string[]),
    enabled: Number(row.enabled) === 1,
    disabledReason: row.disabled_reason,
    previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : Number(row.previous_secret_expires_at),
    failingSince: row.failing_since === null ? null : Number(row.failing_since),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Whether an endpoint wants an event: its type filter and its client filter. */
export function endpointWants(endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'clientIds'>, type: string, clientId: string | undefined): boolean {
  if (endpoint.eventTypes && !endpoint.eventTypes.includes(type as OutboundEventName)) return false;
  if (endpoint.clientIds && (clientId === undefined || !endpoint.clientIds.includes(clientId))) return false;
  return true;
}

/** The endpoints table: rows in, domain endpoints out (sealed secrets stay here and in the service). */
export class EndpointStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: EndpointRow): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values(row).execute();
  }

  async row(id: string): Promise<EndpointRow | undefined> {
    return this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async rows(ids: readonly string[]): Promise<EndpointRow[]> {
    if (ids.length === 0) return [];
    return this.db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', ids).execute();
  }

  async list(): Promise<WebhookEndpoint[]> {
    return (await this.db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute()).map(endpointOf);
  }

  async update(id: string, changes: Partial<Omit<EndpointRow, 'id' | 'created_at'>>): Promise<EndpointRow | undefined> {
    return this.db.updateTable('webhook_endpoints').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
  }

  async delete(id: string): Promise<boolean> {
    // Attempts and messages go with it (foreign keys cascade on both dialects).
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
