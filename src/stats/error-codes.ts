import { defineErrors } from '../shared/errors.js';

/** Failures of the statistics endpoints under /admin/api/stats. */
export const statsError = defineErrors({
  STATS_INVALID_DATE: {
    status: 400,
    error: 'invalid_request',
    description: 'until must be a calendar date in UTC written YYYY-MM-DD, e.g. 2026-03-01.',
  },
  STATS_DATE_OUT_OF_RANGE: {
    status: 400,
    error: 'invalid_request',
    description: 'until must be today (UTC) or earlier, and at most 399 days ago: older days are purged.',
  },
});

export type StatsErrorCode = keyof typeof statsError.catalogue;
