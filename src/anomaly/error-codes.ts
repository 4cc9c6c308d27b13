import { defineErrors } from '../shared/errors.js';

/** Failures of the anomaly feature: containment refusals and the alerts admin API. */
export const anomalyError = defineErrors({
  ENTITY_THROTTLED: {
    status: 429,
    error: 'rate_limited',
    description: 'Requests from this session, user, client or network are paused after unusual activity; retry after the number of seconds in Retry-After.',
  },
  PREFIX_BLOCKED: {
    status: 403,
    error: 'access_denied',
    description:
      'Requests from this network are refused for a while after abusive traffic from it; Retry-After says when the block ends. Operators can lift it with DELETE /admin/api/blocks/{id}.',
  },
  ALERT_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No alert has this id; list alerts with GET /admin/api/alerts.',
  },
  BLOCK_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No block with this id is in force (it may have expired or been lifted); list them with GET /admin/api/blocks.',
  },
  TOO_MANY_STREAMS: {
    status: 503,
    error: 'temporarily_unavailable',
    description: 'This node has as many live alert streams open as it serves; close another console tab, or poll GET /admin/api/alerts instead.',
  },
  INVALID_ALERT_QUERY: {
    status: 400,
    error: 'invalid_request',
    description: 'The alert query is not valid: cursor must come from a previous page’s next_cursor, and since must be before until.',
  },
});
