import type { WebhookAttempt, WebhookEndpoint, WebhookMessage } from './types.js';

/** The admin API's and the CLI's view of an endpoint: snake_case, never a secret. */
export function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes,
    client_ids: endpoint.clientIds,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    previous_secret_expires_at: endpoint.previousSecretExpiresAt,
    failing_since: endpoint.failingSince,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
}

export function attemptView(attempt: WebhookAttempt) {
  return {
    attempted_at: attempt.attemptedAt,
    outcome: attempt.outcome,
    response_status: attempt.responseStatus,
    response_body: attempt.responseBody,
    error: attempt.error,
    latency_ms: attempt.latencyMs,
  };
}

export function messageView(message: WebhookMessage & { attempts?: WebhookAttempt[] }) {
  return {
    id: message.id,
    webhook_id: message.eventId,
    type: message.type,
    status: message.status,
    attempt_count: message.attemptCount,
    next_attempt_at: message.status === 'pending' ? message.nextAttemptAt : null,
    created_at: message.createdAt,
    finished_at: message.finishedAt,
    payload: JSON.parse(message.body) as unknown,
    ...(message.attempts ? { attempts: message.attempts.map(attemptView) } : {}),
  };
}
