import type { EventsTable } from './tables.js';

/** Every column of `events`, in the order insertEvents binds them. */
export const EVENT_COLUMNS = [
  'client_id',
  'event_id',
  'name',
  'ts',
  'received_at',
  'user_id',
  'session_id',
  'is_anonymous',
  'app_version',
  'deployment',
  'platform',
  'locale',
  'origin',
  'country',
  'props',
  'metrics',
  'error_type',
  'error_message',
  'redactions',
  'quarantined',
] as const satisfies readonly (keyof EventsTable)[];

/** The PostgreSQL type of each column's array in the unnest insert (text for every varchar). */
export const EVENT_COLUMN_TYPES: Record<(typeof EVENT_COLUMNS)[number], 'text' | 'bigint' | 'integer'> = {
  client_id: 'text',
  event_id: 'text',
  name: 'text',
  ts: 'bigint',
  received_at: 'bigint',
  user_id: 'text',
  session_id: 'text',
  is_anonymous: 'integer',
  app_version: 'text',
  deployment: 'text',
  platform: 'text',
  locale: 'text',
  origin: 'text',
  country: 'text',
  props: 'text',
  metrics: 'text',
  error_type: 'text',
  error_message: 'text',
  redactions: 'integer',
  quarantined: 'integer',
};

/** The idempotency key of an event as one string. */
export function eventKey(row: { client_id: string; event_id: string }): string {
  return `${row.client_id}\n${row.event_id}`;
}
