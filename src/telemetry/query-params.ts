import { Type, type Static } from '@sinclair/typebox';
import { telemetryError } from './error-codes.js';
import type { RollupKey } from './rollup.js';
import { parseIsoTime } from './validate.js';

/** Dimensions a query may filter or group on, by their API name, and their rollup column. */
export const DIMENSIONS = {
  name: 'name',
  client: 'client_id',
  app_version: 'app_version',
  deployment: 'deployment',
  origin: 'origin',
  user_type: 'is_anonymous',
  country: 'country',
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export type DimensionColumn = (typeof DIMENSIONS)[Dimension];

export const INTERVALS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_BUCKETS = 10_000;
const DEFAULT_RANGE_MS = 86_400_000;

const filterFields = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'Start (inclusive): ISO 8601 or epoch ms. @default 24 hours before `to`' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'End (exclusive): ISO 8601 or epoch ms. @default now' })),
  name: Type.Optional(Type.String({ maxLength: 64 })),
  client: Type.Optional(Type.String({ maxLength: 64 })),
  app_version: Type.Optional(Type.String({ maxLength: 64 })),
  deployment: Type.Optional(Type.String({ maxLength: 64 })),
  origin: Type.Optional(Type.String({ maxLength: 253, description: 'Host of the Origin header the events came with.' })),
  user_type: Type.Optional(Type.Union([Type.Literal('guest'), Type.Literal('registered')])),
  country: Type.Optional(Type.String({ maxLength: 2, description: 'ISO 3166-1 alpha-2.' })),
  group_by: Type.Optional(Type.String({ maxLength: 200, description: `Comma-separated: ${Object.keys(DIMENSIONS).join(', ')}.` })),
};

export const AnalyticsQuery = Type.Object(
  {
    ...filterFields,
    interval: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { description: '@default hour' })),
    metric: Type.Optional(Type.String({ maxLength: 64, description: 'Metric name. @default duration_ms' })),
    top: Type.Optional(Type.String({ maxLength: 3, description: 'How many event names to list. @default 10' })),
  },
  { additionalProperties: false },
);
export type AnalyticsQuery = Static<typeof AnalyticsQuery>;

/** Parsed filters: a time range [from, to) and equality filters by rollup column. */
export interface Filters {
  from: number;
  to: number;
  equals: Partial<Omit<RollupKey, 'bucket'>>;
}

function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d{1,15}$/.test(raw) ? Number(raw) : parseIsoTime(raw);
  if (value === undefined) throw telemetryError('INVALID_QUERY', `${name} must be epoch milliseconds or ISO 8601 with a time zone, e.g. 2025-06-01T00:00:00Z.`);
  return value;
}

export function parseFilters(query: AnalyticsQuery, now: number): Filters {
  const to = parseTime(query.to, 'to') ?? now;
  const from = parseTime(query.from, 'from') ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw telemetryError('INVALID_QUERY', '`from` must be before `to`.');
  const equals: Filters['equals'] = {};
  for (const [dimension, column] of Object.entries(DIMENSIONS) as [Dimension, DimensionColumn][]) {
    const value = query[dimension];
    if (value === undefined) continue;
    if (column === 'is_anonymous') equals.is_anonymous = value === 'guest' ? 1 : 0;
    else equals[column] = value;
  }
  return { from, to, equals };
}

export function parseGroupBy(raw: string | undefined, { max = 3 } = {}): Dimension[] {
  if (raw === undefined || raw.trim() === '') return [];
  const names = [...new Set(raw.split(',').map((name) => name.trim()))];
  const unknown = names.filter((name) => !Object.hasOwn(DIMENSIONS, name));
  if (unknown.length > 0)
    throw telemetryError('INVALID_QUERY', `group_by "${unknown[0]!.slice(0, 40)}" is not a dimension; use ${Object.keys(DIMENSIONS).join(', ')}.`);
  if (names.length > max) throw telemetryError('INVALID_QUERY', `group_by takes at most ${max} dimensions.`);
  return names as Dimension[];
}

export function parseInterval(query: AnalyticsQuery, filters: Filters): number {
  const interval = INTERVALS[query.interval ?? 'hour'];
  if ((filters.to - filters.from) / interval > MAX_BUCKETS) {
    throw telemetryError(
      'INVALID_QUERY',
      `That range has more than ${MAX_BUCKETS} ${query.interval ?? 'hour'} buckets; use a coarser interval or a shorter range.`,
    );
  }
  return interval;
}

export function parseTop(raw: string | undefined): number {
  if (raw === undefined) return 10;
  const top = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(top >= 1 && top <= 100)) throw telemetryError('INVALID_QUERY', 'top must be a whole number from 1 to 100.');
  return top;
}

/** The API's value of a dimension: guest/registered instead of 1/0, null instead of ''. */
export function dimensionValue(dimension: Dimension, value: unknown): string | null {
  if (dimension === 'user_type') return Number(value) === 1 ? 'guest' : 'registered';
  return value === '' || value === null || value === undefined ? null : String(value);
}
