import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminAccess } from '../operators/index.js';
import type { StatsService } from './service.js';

const ActiveUsersQuerystring = Type.Object(
  {
    period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
      description: 'day (DAU), week (WAU: 7 days) or month (MAU: 30 days), ending on `until`.',
    }),
    until: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Last day of the period, YYYY-MM-DD (UTC). @default today' })),
    is_anonymous: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Only guests, or only registered users.' })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'One client; every client together when absent.' })),
  },
  { additionalProperties: false },
);

const OverviewQuerystring = Type.Object(
  {
    range: Type.Optional(
      Type.Union([Type.Literal('24h'), Type.Literal('30d')], {
        description: '24h: the last 24 UTC hours, one bucket an hour; 30d: the last 30 UTC days, one bucket a day. @default 24h',
      }),
    ),
  },
  { additionalProperties: false },
);

export interface StatsRoutesDeps {
  stats: Pick<StatsService, 'activeUsers' | 'overview'>;
  admin: AdminAccess;
}

/** GET /admin/api/stats/active-users and /admin/api/stats/overview (admin:read). */
export async function statsAdminRoutes(app: FastifyInstance, { stats, admin }: StatsRoutesDeps): Promise<void> {
  const read = admin.requireAdmin('read');
  app.get<{ Querystring: Static<typeof ActiveUsersQuerystring> }>(
    '/admin/api/stats/active-users',
    {
      preHandler: read,
      schema: {
        tags: ['stats'],
        security: [{ bearer: [] }],
        summary: 'Distinct active users (DAU, WAU, MAU) of guests and registered users, and guests created, converted, merged and culled per day',
        querystring: ActiveUsersQuerystring,
      },
    },
    async (request) => {
      const { period, until, client_id: clientId, is_anonymous: isAnonymous } = request.query;
      return stats.activeUsers({
        period,
        ...(until !== undefined ? { until } : {}),
        ...(clientId !== undefined ? { clientId } : {}),
        ...(isAnonymous !== undefined ? { isAnonymous: isAnonymous === 'true' } : {}),
      });
    },
  );

  app.get<{ Querystring: Static<typeof OverviewQuerystring> }>(
    '/admin/api/stats/overview',
    {
      preHandler: read,
      schema: {
        tags: ['stats'],
        security: [{ bearer: [] }],
        summary:
          'The console overview: guests created, conversions, alerts and active users per UTC hour (24h) or day (30d), and totals (stored guests and registered users, active users in 24 hours and 30 days)',
        querystring: OverviewQuerystring,
      },
    },
    async (request) => stats.overview(request.query.range ?? '24h'),
  );
}
