/** Table types of the events base layer (Kysely); conventions as in storage/schema.ts. */

export interface OutboxTable {
  id: string;
  type: string;
  /** The event as JSON, `type` included. */
  payload: string;
  order_key: string | null;
  created_at: number;
  dispatched_at: number | null;
}

export interface OutboxTables {
  outbox_events: OutboxTable;
}
