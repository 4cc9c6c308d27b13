import { defineErrors } from '../shared/errors.js';

/** Failures of GET /admin/api/audit. */
export const auditError = defineErrors({
  AUDIT_INVALID_QUERY: {
    status: 400,
    error: 'invalid_request',
    description:
      'since and until are epoch milliseconds or ISO 8601 date-times with since before until, limit is 1 to 500, and cursor is next_cursor of the previous page unchanged.',
  },
});

export type AuditErrorCode = keyof typeof auditError.catalogue;
