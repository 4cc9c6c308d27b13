import { telemetryError, type TelemetryErrorCode } from './error-codes.js';
import { runPrivacyPipeline, type TelemetryPolicy } from './privacy/index.js';
import type { EventRow } from './store.js';
import { validateItem } from './validate.js';
import type { PendingEvent } from './writer.js';

/** What the server stamps on every event: nothing here may come from the body. */
export interface ServerStamp {
  clientId: string;
  userId: string;
  sessionId: string | null;
  isAnonymous: boolean;
  /** Host of the Origin header, or ''. */
  origin: string;
  /** ISO 3166-1 alpha-2, or ''. */
  country: string;
  receivedAt: number;
  /** The session is quarantined by anomaly containment: its events are tagged, not dropped. */
  quarantined: boolean;
}

export interface Rejection {
  index: number;
  error: string;
  error_description: string;
}

/** What the pipeline did to one batch before storage. */
export interface PreparedBatch {
  pending: PendingEvent[];
  rejected: Rejection[];
  /** Repeats of an id earlier in the same batch: duplicates without a database round trip. */
  repeats: number;
  dropped: { step: string; reason: string }[];
  redactions: { step: string; reason: string }[];
}

function rejection(index: number, code: TelemetryErrorCode, description?: string): Rejection {
  const { error, message } = telemetryError(code, description);
  return { index, error, error_description: message };
}

/**
 * The steps every item goes through: validate → privacy pipeline →
 * stamp. An item that fails a step is reported by index and the next item goes on.
 */
export function prepareBatch(items: readonly unknown[], stamp: ServerStamp, policy: TelemetryPolicy): PreparedBatch {
  const batch: PreparedBatch = { pending: [], rejected: [], repeats: 0, dropped: [], redactions: [] };
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    const verdict = validateItem(item, stamp.receivedAt);
    if (!verdict.ok) {
      batch.rejected.push(rejection(index, verdict.code, verdict.description));
      continue;
    }
    const { id, ts } = verdict.event;
    if (seen.has(id)) {
      batch.repeats += 1;
      continue;
    }
    seen.add(id);
    const outcome = runPrivacyPipeline(verdict.event, policy);
    if (!outcome.kept) {
      batch.dropped.push({ step: outcome.step, reason: outcome.reason });
      batch.rejected.push(rejection(index, 'EVENT_DROPPED_ITEM', `${outcome.description} (privacy step ${outcome.step}: ${outcome.reason})`));
      continue;
    }
    batch.redactions.push(...outcome.redactions);
    const { event } = outcome;
    const row: EventRow = {
      client_id: stamp.clientId,
      event_id: id,
      name: event.name,
      ts,
      received_at: stamp.receivedAt,
      user_id: stamp.userId,
      session_id: stamp.sessionId,
      is_anonymous: stamp.isAnonymous ? 1 : 0,
      app_version: event.context.app_version ?? '',
      deployment: event.context.deployment ?? '',
      platform: event.context.platform ?? '',
      locale: event.context.locale ?? '',
      origin: stamp.origin,
      country: stamp.country,
      props: JSON.stringify(event.props),
      metrics: JSON.stringify(event.metrics),
      error_type: event.error?.type ?? null,
      error_message: event.error?.message ?? null,
      redactions: outcome.redactions.length,
      quarantined: stamp.quarantined ? 1 : 0,
    };
    batch.pending.push({ row, metrics: event.metrics });
  }
  return batch;
}
