/** The analytics page's state, kept in the URL: filters, group-by and range. */

export const DIMENSIONS = [
  { key: 'name', label: 'Event name' },
  { key: 'app_version', label: 'App version' },
  { key: 'origin', label: 'Origin' },
  { key: 'deployment', label: 'Deployment' },
  { key: 'country', label: 'Country' },
  { key: 'user_type', label: 'Guest or registered' },
  { key: 'client', label: 'Client' },
] as const;

export type Dimension = (typeof DIMENSIONS)[number]['key'];

export const RANGES = {
  '24h': { label: 'Last 24 hours', ms: 86_400_000, interval: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, interval: 'hour' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, interval: 'day' },
} as const;

export type RangeName = keyof typeof RANGES;

export interface AnalyticsState {
  range: RangeName;
  filters: Partial<Record<Dimension, string>>;
  groupBy: Dimension | '';
}

export function readState(params: URLSearchParams): AnalyticsState {
  const rangeParam = params.get('range') ?? '24h';
  const range: RangeName = rangeParam in RANGES ? (rangeParam as RangeName) : '24h';
  const filters: AnalyticsState['filters'] = {};
  for (const { key } of DIMENSIONS) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  const group = params.get('group_by') ?? '';
  const groupBy = DIMENSIONS.some((entry) => entry.key === group) ? (group as Dimension) : '';
  return { range, filters, groupBy };
}

/**
 * The time window, aligned to the interval so that the buckets of one load and the next agree
 * (and the query key does not change every millisecond).
 */
export function windowOf(range: RangeName, now = Date.now()): { from: number; to: number } {
  const step = RANGES[range].interval === 'day' ? 86_400_000 : 3_600_000;
  const to = Math.ceil(now / step) * step;
  return { from: to - RANGES[range].ms, to };
}

/** A label for a group of an analytics answer: its values joined, or "(none)". */
export function groupLabel(group: Record<string, unknown> | undefined): string {
  if (!group) return 'All events';
  const values = Object.values(group).map((value) => (value === null || value === undefined || value === '' ? '(none)' : String(value)));
  return values.join(' · ') || 'All events';
}
