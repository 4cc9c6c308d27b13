import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import { ACCURACY, conversion, withErrorRate } from './analytics.js';
import { AnalyticsQuery, parseFilters, parseGroupBy, parseInterval, parseTop, type Filters } from './query-params.js';
import type { TelemetryService } from './service.js';
import { eventView } from './event-view.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
const EventsListQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: 'At most 1000. @default 100' })) },
  { additionalProperties: false },
);

const range = (filters: Filters) => ({ from: filters.from, to: filters.to });

/**
 * Analytics under /admin/api/analytics/* with `admin:read`, and a person's
 * events: read with `admin:read` (GDPR access), erased with `admin:write` (GDPR erasure).
 * Everything but conversion and a person's events reads the minute rollups, never raw rows.
 */
export interface TelemetryAdminRoutesDeps {
  service: Pick<TelemetryService, 'queries' | 'erase'>;
  admin: AdminAccess;
  now: () => number;
}

export async function telemetryAdminRoutes(app: FastifyInstance, { service, admin, now }: TelemetryAdminRoutesDeps): Promise<void> {
  const read = admin.requireAdmin('read');
  const write = admin.requireAdmin('write');
  const tags = ['analytics'];
  const security = [{ bearer: [] }];
  const route = { preHandler: read, schema: { tags, security, querystring: AnalyticsQuery } };
  type Query = { Querystring: Static<typeof AnalyticsQuery> };

  app.get<Query>(
    '/admin/api/analytics/events',
    { ...route, schema: { ...route.schema, summary: 'Event and error counts over time, filtered and grouped' } },
    async (request) => {
      const filters = parseFilters(request.query, now());
      const interval = parseInterval(request.query, filters);
      const groupBy = parseGroupBy(request.query.group_by);
      const series = await service.queries.series(filters, interval, groupBy);
      return {
        ...range(filters),
        interval: request.query.interval ?? 'hour',
        group_by: groupBy,
        series: series.map((point) => ({
          time: point.bucket,
          ...(groupBy.length > 0 ? { group: point.group } : {}),
          events: point.events,
          errors: point.errors,
        })),
      };
    },
  );

  app.get<Query>(
    '/admin/api/analytics/distinct',
    { ...route, schema: { ...route.schema, summary: 'Distinct sessions and users, and people (merged guests counted once)' } },
    async (request) => {
      const filters = parseFilters(request.query, now());
      const groupBy = parseGroupBy(request.query.group_by);
      const [totals] = await service.queries.summaries(filters, []);
      return {
        ...range(filters),
        sessions: totals?.sessions ?? 0,
        users: totals?.users ?? 0,
        // Exact and alias-aware, by whole UTC days; only the client filter applies to it.
        people: await service.queries.people(filters),
        ...(groupBy.length > 0
          ? { groups: (await service.queries.summaries(filters, groupBy)).map(({ group, sessions, users }) => ({ group, sessions, users })) }
          : {}),
        accuracy: ACCURACY,
      };
    },
  );

  app.get<Query>(
    '/admin/api/analytics/metrics',
    {
      ...route,
      schema: { ...route.schema, summary: 'A metric’s count, sum, mean and p50/p95/p99 (duration_ms by default); with interval, also per interval over time' },
    },
    async (request) => {
      const filters = parseFilters(request.query, now());
      const groupBy = parseGroupBy(request.query.group_by);
      const metric = request.query.metric ?? 'duration_ms';
      // Over time only when asked: `interval` is what a chart of p50/p95/p99 needs.
      const interval = request.query.interval === undefined ? undefined : parseInterval(request.query, filters);
      const [overall] = await service.queries.summaries(filters, [], metric);
      return {
        ...range(filters),
        metric,
        overall: overall?.metric ?? { count: 0, sum: 0, mean: null, p50: null, p95: null, p99: null },
        ...(groupBy.length > 0
          ? { groups: (await service.queries.summaries(filters, groupBy, metric)).map(({ group, metric: summary }) => ({ group, ...summary })) }
          : {}),
        ...(interval !== undefined
          ? {
              interval: request.query.interval,
              series: (await service.queries.metricSeries(filters, interval, metric)).map(({ bucket, metric: summary }) => ({ time: bucket, ...summary })),
            }
          : {}),
        accuracy: ACCURACY,
      };
    },
  );

  app.get<Query>(
    '/admin/api/analytics/errors',
    { ...route, schema: { ...route.schema, summary: 'Error rate (events with an error / events) by app version, or another grouping' } },
    async (request) => {
      const filters = parseFilters(request.query, now());
      const groupBy = request.query.group_by === undefined ? (['app_version'] as const).slice() : parseGroupBy(request.query.group_by);
      const groups = await service.queries.summaries(filters, groupBy);
      return {
        ...range(filters),
        group_by: groupBy,
        groups: groups.map(({ group, events, errors }) => ({ group, events, errors, ...withErrorRate({ events, errors }) })),
      };
    },
  );

  app.get<Query>(
    '/admin/api/analytics/split',
    { ...route, schema: { ...route.schema, summary: 'Guests versus registered users: events, errors, sessions, users' } },
    async (request) => {
      const filters = parseFilters(request.query, now());
      const groups = await service.queries.summaries(filters, ['user_type']);
      const side = (type: 'guest' | 'registered') => {
        const found = groups.find((entry) => entry.group.user_type === type);
        const summary = found ?? { events: 0, errors: 0, sessions: 0, users: 0 };
        return { events: summary.events, errors: summary.errors, ...withErrorRate(summary), sessions: summary.sessions, users: summary.users };
      };
      const guest = side('guest');
      const registered = side('registered');
      const total = guest.events + registered.events;
      return {
        ...range(filters),
        guest: { ...guest, share_of_events: total > 0 ? guest.events / total : null },
        registered: { ...registered, share_of_events: total > 0 ? registered.events / total : null },
      };
    },
  );

  app.get<Query>(
    '/admin/api/analytics/conversion',
    { ...route, schema: { ...route.schema, summary: 'Share of guests that converted, median time to convert, events seen before converting' } },
    async (request) => {
      const filters = parseFilters(request.query, now());
      return { ...range(filters), ...(await conversion(service.queries, filters, parseTop(request.query.top))) };
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof EventsListQuery> }>(
    '/admin/api/users/:id/events',
    {
      preHandler: read,
      schema: { tags, security, summary: 'A person’s stored events and its merged guests’, newest first', params: IdParams, querystring: EventsListQuery },
    },
    async (request) => {
      const userIds = await service.queries.identitiesOf(request.params.id);
      const limit = Math.max(1, Math.min(1000, Number(request.query.limit ?? 100)));
      return { user_ids: userIds, events: (await service.queries.userEvents(userIds, limit)).map(eventView) };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/api/users/:id/events',
    {
      preHandler: write,
      schema: { tags, security, summary: 'Erase a person’s events and its merged guests’ (rollups are rebuilt in the same transaction)', params: IdParams },
    },
    async (request) => {
      const { userIds, deletedEvents, rebuiltRollups } = await service.erase(request.params.id);
      return { user_ids: userIds, deleted_events: deletedEvents, rebuilt_rollups: rebuiltRollups };
    },
  );
}
