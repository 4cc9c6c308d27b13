import type { OutboundEventName } from '../events/outbox.js';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  /** null: every outbound event type. */
  eventTypes: OutboundEventName[] | null;
  /** null: events of every client, and events that name none. */
  clientIds: string[] | null;
  enabled: boolean;
  /** `failing` when the server disabled it; null otherwise. */
  disabledReason: string | null;
  /** While the previous secret still signs (a rotation's overlap). */
  previousSecretExpiresAt: number | null;
  failingSince: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewWebhookEndpoint {
  url: string;
  description?: string;
  eventTypes?: OutboundEventName[] | null;
  clientIds?: string[] | null;
  enabled?: boolean;
}

export type WebhookEndpointPatch = Partial<Omit<NewWebhookEndpoint, 'url'>> & { url?: string };

export type MessageStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookAttempt {
  attemptedAt: number;
  outcome: 'succeeded' | 'failed';
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  latencyMs: number;
}

export interface WebhookMessage {
  id: string;
  endpointId: string;
  /** The `webhook-id` header. */
  eventId: string;
  type: string;
  body: string;
  orderKey: string | null;
  status: MessageStatus;
  attemptCount: number;
  nextAttemptAt: number;
  createdAt: number;
  finishedAt: number | null;
}
