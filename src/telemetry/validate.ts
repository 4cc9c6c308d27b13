import type { ValueError } from '@sinclair/typebox/errors';
import { checkEventItem, FIELD_HINTS, LIMITS, type TelemetryEventItem } from './event-schema.js';
import type { TelemetryErrorCode } from './error-codes.js';

/** An event that passed the schema, sizes and the time window; `ts` is epoch ms. */
export interface ValidEvent {
  id: string;
  name: string;
  ts: number;
  props: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  context: { app_version?: string; deployment?: string; platform?: string; locale?: string };
  error?: { type: string; message?: string };
}

export type ItemVerdict = { ok: true; event: ValidEvent } | { ok: false; code: TelemetryErrorCode; description: string };

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

/** Epoch ms of an ISO 8601 time that names its zone, or undefined (no local times: they are ambiguous). */
export function parseIsoTime(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.parse rolls 2025-02-30 over to March; a calendar date that does not exist is an error.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  const time = Date.parse(text.toUpperCase());
  return Number.isNaN(time) ? undefined : time;
}

function describeSchemaError(error: ValueError | undefined): string {
  if (!error || error.path === '') return 'An event must be a JSON object with id, name and ts.';
  const [field = '', key] = error.path.split('/').slice(1);
  const hint = FIELD_HINTS[field];
  if (!hint) return `Unknown field "${field.slice(0, 64)}"; an event has id, name, ts, props, context, metrics and error.`;
  if (error.message === 'Expected required property') return `Missing ${field}: ${hint}.`;
  if (error.message === 'Unexpected property' && key !== undefined) return `${field} has a key "${key.slice(0, 64)}" that is not allowed: ${hint}.`;
  return `${key === undefined ? field : `${field}.${key.slice(0, 64)}`} is not valid: ${hint}.`;
}

function eventTime(ts: string | number): number | undefined {
  return typeof ts === 'number' ? ts : parseIsoTime(ts);
}

/**
 * Checks one item of a batch: size, schema, time window. Never throws: a bad item becomes a
 * verdict with a code from the telemetry catalogue, and the rest of the batch goes on.
 */
export function validateItem(item: unknown, now: number): ItemVerdict {
  // The serialised size bounds what one event may cost downstream (16 KiB at most).
  if (Buffer.byteLength(JSON.stringify(item) ?? '') > LIMITS.eventBytes) {
    return {
      ok: false,
      code: 'EVENT_TOO_LARGE_ITEM',
      description: `This event is larger than ${LIMITS.eventBytes / 1024} KiB serialised; send fewer or shorter props.`,
    };
  }
  if (!checkEventItem.Check(item)) return { ok: false, code: 'INVALID_EVENT_ITEM', description: describeSchemaError(checkEventItem.Errors(item).First()) };
  const event = item as TelemetryEventItem;
  const ts = eventTime(event.ts);
  if (ts === undefined) return { ok: false, code: 'INVALID_EVENT_ITEM', description: `ts is not valid: ${FIELD_HINTS['ts']}.` };
  if (ts < now - LIMITS.pastMs || ts > now + LIMITS.futureMs) {
    const seconds = typeof event.ts === 'number' && event.ts < 1e11 ? ' It looks like seconds; ts is epoch milliseconds.' : '';
    return {
      ok: false,
      code: 'TIMESTAMP_OUT_OF_RANGE_ITEM',
      description: `ts ${new Date(ts).toISOString()} is outside the accepted window (7 days back to 5 minutes ahead of the server clock).${seconds}`,
    };
  }
  return {
    ok: true,
    event: {
      id: event.id.toLowerCase(),
      name: event.name,
      ts,
      props: event.props ?? {},
      metrics: event.metrics ?? {},
      context: event.context ?? {},
      ...(event.error ? { error: event.error } : {}),
    },
  };
}
