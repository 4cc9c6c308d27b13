import type { Selectable } from 'kysely';
import type { EventsTable } from './tables.js';

/** A stored event as the admin API and a person's export show it: what survived the privacy pipeline, nothing more. */
export function eventView(row: Selectable<EventsTable>) {
  const context = Object.fromEntries(
    (['app_version', 'deployment', 'platform', 'locale'] as const).filter((field) => row[field] !== '').map((field) => [field, row[field]]),
  );
  return {
    id: row.event_id,
    name: row.name,
    ts: Number(row.ts),
    received_at: Number(row.received_at),
    client_id: row.client_id,
    user_id: row.user_id,
    session_id: row.session_id,
    is_anonymous: row.is_anonymous === 1,
    context,
    origin: row.origin || null,
    country: row.country || null,
    props: JSON.parse(row.props) as Record<string, unknown>,
    metrics: JSON.parse(row.metrics) as Record<string, number>,
    error: row.error_type === null ? null : { type: row.error_type, ...(row.error_message !== null ? { message: row.error_message } : {}) },
    redactions: row.redactions,
    quarantined: row.quarantined === 1,
  };
}

export type EventView = ReturnType<typeof eventView>;
