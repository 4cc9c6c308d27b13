import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import { decodeCursor } from './alerts/store.js';
import { ALERT_STATUSES, type AlertQuery } from './alerts/types.js';
import { alertView } from './alerts/view.js';
import { blockView } from './containment/view.js';
import { streamRoute } from './stream-route.js';
import { anomalyError } from './error-codes.js';
import type { AnomalyService } from './service.js';

const Status = Type.Union(ALERT_STATUSES.map((status) => Type.Literal(status)));
const EntityKind = Type.Union(['session', 'user', 'client', 'prefix', 'asn'].map((kind) => Type.Literal(kind as 'session')));
const Time = Type.String({ maxLength: 40, description: 'Epoch milliseconds or an ISO 8601 date-time.' });

const AlertsQuery = Type.Object(
  {
    status: Type.Optional(Status),
    detector: Type.Optional(Type.String({ maxLength: 64 })),
    entity_kind: Type.Optional(EntityKind),
    entity_id: Type.Optional(Type.String({ maxLength: 200 })),
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1 to 200. @default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const PatchAlertBody = Type.Object(
  {
    status: Status,
    note: Type.Optional(
      Type.String({
        maxLength: 1000,
        pattern: '^[^\\u0000]*$',
        description: 'Why: shown with the alert, replaced by the next verdict. Free text stays on the alert, never in the event log.',
      }),
    ),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw anomalyError('INVALID_ALERT_QUERY', `"${value.slice(0, 40)}" is not a time: use epoch milliseconds or an ISO 8601 date-time.`);
  return ms;
}

function toQuery(query: Static<typeof AlertsQuery>): AlertQuery {
  const since = parseTime(query.since);
  const until = parseTime(query.until);
  if (since !== undefined && until !== undefined && since >= until) throw anomalyError('INVALID_ALERT_QUERY', 'since must be before until.');
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (limit < 1 || limit > 200) throw anomalyError('INVALID_ALERT_QUERY', 'limit must be between 1 and 200.');
  if (query.cursor !== undefined && !decodeCursor(query.cursor))
    throw anomalyError('INVALID_ALERT_QUERY', 'cursor is not one this server gave out; pass next_cursor from the previous page unchanged.');
  return {
    limit,
    ...(query.status ? { status: query.status } : {}),
    ...(query.detector ? { detector: query.detector } : {}),
    ...(query.entity_kind ? { entityKind: query.entity_kind } : {}),
    ...(query.entity_id ? { entityId: query.entity_id } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  };
}

/** /admin/api/alerts (and its live stream) and /admin/api/blocks: read with `admin:read`, change with `admin:write`. */
export async function anomalyAdminRoutes(app: FastifyInstance, admin: AdminAccess, anomaly: AnomalyService): Promise<void> {
  const read = admin.requireAdmin('read');
  const write = admin.requireAdmin('write');
  const tags = ['admin'];
  const security = [{ bearer: [] }];
  streamRoute(app, anomaly.feed, read, anomaly.now);

  app.get<{ Querystring: Static<typeof AlertsQuery> }>(
    '/admin/api/alerts',
    { preHandler: read, schema: { tags, security, summary: 'List alerts, newest first, filtered and paginated', querystring: AlertsQuery } },
    async (request) => {
      const page = await anomaly.alerts.list(toQuery(request.query));
      return { alerts: page.alerts.map((alert) => alertView(alert, false)), next_cursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/admin/api/alerts/:id',
    { preHandler: read, schema: { tags, security, summary: 'Read an alert with its evidence', params: IdParams } },
    async (request) => alertView(await anomaly.alerts.get(request.params.id), true),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchAlertBody> }>(
    '/admin/api/alerts/:id',
    {
      preHandler: write,
      bodyLimit: 8192,
      schema: {
        tags,
        security,
        summary: 'Record a verdict (confirmed, false_positive, …) with an optional note: false_positive allow-lists the entity and lifts the alert’s blocks',
        params: IdParams,
        body: PatchAlertBody,
      },
    },
    async (request) => alertView(await anomaly.alerts.setStatus(request.params.id, request.body.status, request.body.note ?? null), true),
  );

  app.get('/admin/api/blocks', { preHandler: read, schema: { tags, security, summary: 'Throttles, prefix blocks and quarantines in force' } }, async () => ({
    blocks: (await anomaly.containment.list()).map(blockView),
  }));

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/api/blocks/:id',
    { preHandler: write, schema: { tags, security, summary: 'Lift a block now', params: IdParams } },
    async (request, reply) => {
      if (!(await anomaly.containment.lift(request.params.id))) throw anomalyError('BLOCK_NOT_FOUND');
      return reply.code(204).send();
    },
  );
}
