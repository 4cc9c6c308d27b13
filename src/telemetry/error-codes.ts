import { defineErrors } from '../shared/errors.js';

/**
 * Telemetry failures. The first group refuses a whole request; the second (`*_ITEM`, status
 * 400) never leaves the server as a response of its own: it names why one event of a batch
 * was rejected, in `rejected[]` of the 202 answer, while the other events are stored.
 */
export const telemetryError = defineErrors({
  TOO_MANY_EVENTS: {
    status: 413,
    error: 'invalid_request',
    description: 'A batch holds at most 500 events; split it into several requests.',
  },
  EVENTS_NOT_JSON: {
    status: 400,
    error: 'invalid_request',
    description: 'The events form field must be a JSON array of events encoded as a string, e.g. events=[{"id":…,"name":…,"ts":…}].',
  },
  TOKEN_IN_BODY_NOT_FORM: {
    status: 400,
    error: 'invalid_request',
    description:
      'access_token may appear in the body only in an application/x-www-form-urlencoded request (RFC 6750 §2.2); send it in the Authorization header with JSON.',
  },
  TOKEN_TWICE: {
    status: 400,
    error: 'invalid_request',
    description: 'Send the access token in one place only: the Authorization header or the access_token form field (RFC 6750 §2).',
  },
  SESSION_EVENT_LIMIT: {
    status: 429,
    error: 'rate_limited',
    description: 'This session sent more events per minute than allowed; wait for the number of seconds in Retry-After and send the batch again.',
  },
  CLIENT_EVENT_LIMIT: {
    status: 429,
    error: 'rate_limited',
    description:
      'This client sent more events per minute than allowed across its sessions; wait for the number of seconds in Retry-After and send the batch again.',
  },
  INVALID_QUERY: {
    status: 400,
    error: 'invalid_request',
    description: 'The analytics query parameters are not valid; see /docs for the accepted parameters.',
  },

  INVALID_EVENT_ITEM: {
    status: 400,
    error: 'invalid_event',
    description: 'This event does not match the event schema (id, name, ts, props, context, metrics, error); the description names the field.',
  },
  EVENT_TOO_LARGE_ITEM: {
    status: 400,
    error: 'event_too_large',
    description: 'This event is larger than 16 KiB serialised; send fewer or shorter props.',
  },
  TIMESTAMP_OUT_OF_RANGE_ITEM: {
    status: 400,
    error: 'invalid_timestamp',
    description:
      'This event’s ts is more than 7 days in the past or more than 5 minutes in the future; check the device clock and the unit (epoch milliseconds).',
  },
  EVENT_DROPPED_ITEM: {
    status: 400,
    error: 'event_dropped',
    description: 'The privacy pipeline dropped this event; the description names the step and the reason.',
  },
});

export type TelemetryErrorCode = keyof typeof telemetryError.catalogue;
