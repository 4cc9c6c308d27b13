import type { Filters } from './query-params.js';
import type { GroupSummary, TelemetryQueries } from './query-store.js';
import { DISTINCT_RELATIVE_ERROR } from './sketches/distinct.js';
import { RELATIVE_ACCURACY } from './sketches/ddsketch.js';

/** Converted guests whose pre-conversion events are counted; the most recent conversions first. */
const MAX_CONVERTED_SCANNED = 5000;

export const ACCURACY = { distinct_relative_error: Number(DISTINCT_RELATIVE_ERROR.toFixed(4)), quantile_relative_accuracy: RELATIVE_ACCURACY };

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

export function withErrorRate(summary: Pick<GroupSummary, 'events' | 'errors'>) {
  return { error_rate: rate(summary.errors, summary.events) };
}

/**
 * Conversion: of the guests that sent events as guests in the range, the
 * share that converted (promoted in place or merged into an account, whenever), the median
 * time from a guest's first event to its conversion, and the event names most converting
 * guests sent before converting. A merged guest's events keep its guest id; user_aliases
 * ties them to the account at query time.
 */
export async function conversion(queries: TelemetryQueries, filters: Filters, top: number) {
  const cohort = await queries.guestCohort(filters);
  const converted = cohort
    .filter((guest): guest is { userId: string; firstTs: number; convertedAt: number } => guest.convertedAt !== null)
    .sort((a, b) => b.convertedAt - a.convertedAt);
  const scanned = converted.slice(0, MAX_CONVERTED_SCANNED);
  const names = await queries.eventsBeforeConversion(scanned, filters.equals.client_id);
  return {
    guests: cohort.length,
    converted: converted.length,
    conversion_rate: rate(converted.length, cohort.length),
    median_time_to_convert_ms: median(converted.map((guest) => Math.max(0, guest.convertedAt - guest.firstTs))),
    events_before_conversion: [...names]
      .map(([name, { users, events }]) => ({ name, users: users.size, share_of_converted: rate(users.size, scanned.length), events }))
      .sort((a, b) => b.users - a.users || b.events - a.events || (a.name < b.name ? -1 : 1))
      .slice(0, top),
    converted_scanned: scanned.length,
  };
}
