import { defineErrors } from '../shared/errors.js';

/** Failures of the webhook endpoints under /admin/api/webhooks. */
export const webhooksError = defineErrors({
  WEBHOOK_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No webhook endpoint has this id; list them with GET /admin/api/webhooks.',
  },
  WEBHOOK_MESSAGE_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'This endpoint has no message with this id; messages are kept for GUESTPASS_WEBHOOK_RETENTION after they end.',
  },
  WEBHOOK_INVALID_URL: {
    status: 400,
    error: 'invalid_request',
    description: 'url must be an absolute https:// URL without credentials (http:// only to loopback, with GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK).',
  },
  WEBHOOK_INVALID_EVENT_TYPE: {
    status: 400,
    error: 'invalid_request',
    description:
      'event_types may only name outbound events: user.converted, user.merged, user.deleted, user.culled, session.revoked, alert.raised, client.secret_rotated.',
  },
  WEBHOOK_INVALID_CURSOR: {
    status: 400,
    error: 'invalid_request',
    description: 'cursor must be the next_cursor of a previous page, unchanged.',
  },
});

export type WebhooksErrorCode = keyof typeof webhooksError.catalogue;
