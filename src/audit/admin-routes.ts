import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import { auditError } from './error-codes.js';
import type { AuditPageQuery, AuditService } from './service.js';

const Time = Type.String({ maxLength: 40, description: 'Event time: epoch milliseconds or an ISO 8601 date-time.' });

const AuditQuerystring = Type.Object(
  {
    type: Type.Optional(
      Type.String({ pattern: '^[a-z_]{1,32}\\.[a-z_]{1,32}$', description: 'One domain event type, e.g. session.created (docs/events.md).' }),
    ),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'The user or client id the events are about.' })),
    since: Type.Optional({ ...Time, description: 'Events at or after this event time.' }),
    until: Type.Optional({ ...Time, description: 'Events before this event time.' }),
    order: Type.Optional(
      Type.Union([Type.Literal('newest'), Type.Literal('oldest')], {
        description: 'newest first, or oldest first as `guestpass events export` writes them. @default newest',
      }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 500. @default 100' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page (with the same filters and order).' })),
  },
  { additionalProperties: false },
);

/** Epoch milliseconds or an ISO 8601 date-time, as the CLI's --since takes them too. */
export function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw auditError('AUDIT_INVALID_QUERY', `${name} "${value.slice(0, 40)}" is not a time: use epoch milliseconds or an ISO 8601 date-time.`);
  return ms;
}

function toQuery(query: Static<typeof AuditQuerystring>): AuditPageQuery {
  const since = parseTime(query.since, 'since');
  const until = parseTime(query.until, 'until');
  if (since !== undefined && until !== undefined && since >= until) throw auditError('AUDIT_INVALID_QUERY', 'since must be before until.');
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (limit < 1 || limit > 500) throw auditError('AUDIT_INVALID_QUERY', 'limit must be between 1 and 500.');
  return {
    limit,
    order: query.order ?? 'newest',
    ...(query.type !== undefined ? { type: query.type } : {}),
    ...(query.subject !== undefined ? { subject: query.subject } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
  };
}

export interface AuditRoutesDeps {
  audit: Pick<AuditService, 'page'>;
  admin: AdminAccess;
}

/** GET /admin/api/audit (admin:read): the domain-event log, filtered and paged. */
export async function auditAdminRoutes(app: FastifyInstance, { audit, admin }: AuditRoutesDeps): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuerystring> }>(
    '/admin/api/audit',
    {
      preHandler: admin.requireAdmin('read'),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'The domain-event log, newest first (or oldest first), filtered by type, subject and event time, with a keyset cursor',
        querystring: AuditQuerystring,
      },
    },
    async (request) => audit.page(toQuery(request.query)),
  );
}
