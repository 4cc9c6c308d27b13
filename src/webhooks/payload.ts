import type { OutboundEvent } from '../events/outbox.js';

/**
 * The Standard Webhooks body of an outbound event: `{"type", "timestamp", "data"}`, `timestamp`
 * the event time (ISO 8601) and `data` its payload. The coarse network (IP prefix, ASN) a few
 * events carry stays inside: a receiver needs ids and facts, and nothing it could use to place
 * a person. Event payloads hold no e-mail, token, secret or raw IP by schema (events/types.ts).
 */
export function webhookBody(event: OutboundEvent): string {
  const { type, network: _network, ...data } = event;
  return JSON.stringify({ type, timestamp: new Date(event.time).toISOString(), data });
}
