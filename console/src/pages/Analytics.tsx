import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo } from 'react';
import { api } from '../api/client';
import type { Conversion, ErrorRates, EventSeries, MetricSummary } from '../api/types';
import { Bars } from '../components/Bars';
import { Chart, color } from '../components/Chart';
import { formatDuration, formatNumber, formatPercent } from '../components/format';
import { QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';
import { type AnalyticsState, DIMENSIONS, groupLabel, RANGES, type RangeName, readState, windowOf } from './analytics-query';

/** The most groups one chart draws; the rest would be lines nobody can tell apart. */
const MAX_GROUPS = 6;

function filterQuery(state: AnalyticsState) {
  return { ...windowOf(state.range), ...state.filters };
}

function FilterForm({ state }: { state: AnalyticsState }) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const changes: Record<string, string | undefined> = {};
    for (const key of ['range', 'group_by', ...DIMENSIONS.map((entry) => entry.key)]) changes[key] = String(form.get(key) ?? '').trim() || undefined;
    setParams(changes, { replace: false });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Analytics filters" key={JSON.stringify(state)}>
      <label>
        Range
        <select name="range" defaultValue={state.range}>
          {(Object.keys(RANGES) as RangeName[]).map((range) => (
            <option key={range} value={range}>
              {RANGES[range].label}
            </option>
          ))}
        </select>
      </label>
      {DIMENSIONS.map(({ key, label }) =>
        key === 'user_type' ? (
          <label key={key}>
            {label}
            <select name={key} defaultValue={state.filters[key] ?? ''}>
              <option value="">Both</option>
              <option value="guest">Guests</option>
              <option value="registered">Registered</option>
            </select>
          </label>
        ) : (
          <label key={key}>
            {label}
            <input name={key} defaultValue={state.filters[key] ?? ''} placeholder="any" maxLength={key === 'country' ? 2 : 253} />
          </label>
        ),
      )}
      <label>
        Group by
        <select name="group_by" defaultValue={state.groupBy}>
          <option value="">Nothing</option>
          {DIMENSIONS.map(({ key, label }) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div className="filter-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() =>
            setParams(Object.fromEntries(['range', 'group_by', ...DIMENSIONS.map((entry) => entry.key)].map((key) => [key, undefined])), { replace: false })
          }
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function EventsChart({ state }: { state: AnalyticsState }) {
  const query = useQuery({
    queryKey: ['analytics', 'events', state],
    queryFn: ({ signal }) =>
      api<EventSeries>('/analytics/events', {
        query: { ...filterQuery(state), interval: RANGES[state.range].interval, ...(state.groupBy ? { group_by: state.groupBy } : {}) },
        signal,
      }),
  });
  const chart = useMemo(() => {
    const data = query.data;
    if (!data) return undefined;
    const times = [...new Set(data.series.map((point) => point.time))].sort((a, b) => a - b);
    const totals = new Map<string, number>();
    for (const point of data.series) totals.set(groupLabel(point.group), (totals.get(groupLabel(point.group)) ?? 0) + point.events);
    const top = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_GROUPS);
    const series = top.map(([label], index) => {
      const byTime = new Map(data.series.filter((point) => groupLabel(point.group) === label).map((point) => [point.time, point.events]));
      return { label, color: color(index), values: times.map((time) => byTime.get(time) ?? 0) };
    });
    const errors = times.map((time) => data.series.filter((point) => point.time === time).reduce((sum, point) => sum + point.errors, 0));
    return { times, series, errors, total: [...totals.values()].reduce((sum, value) => sum + value, 0), groups: totals.size };
  }, [query.data]);
  return (
    <Section title="Events over time">
      <QueryView query={query} what="events" isEmpty={(data) => data.series.length === 0} empty="No events match these filters in this range.">
        {() =>
          chart && (
            <>
              <p className="muted" data-testid="events-total">
                {formatNumber(chart.total)} events{chart.groups > MAX_GROUPS ? `; the ${MAX_GROUPS} largest of ${chart.groups} groups are drawn` : ''}.
              </p>
              <Chart title="Events per bucket" times={chart.times} series={chart.series} kind={state.groupBy ? 'line' : 'bars'} />
              <Chart
                title="Events with an error"
                times={chart.times}
                series={[{ label: 'Errors', values: chart.errors, color: '#dc2626' }]}
                kind="bars"
                height={140}
              />
            </>
          )
        }
      </QueryView>
    </Section>
  );
}

/** One interval of GET /admin/api/analytics/metrics?interval=…: the metric's summary in that interval. */
type MetricPoint = MetricSummary & { time: number };

/**
 * p50/p95/p99 over time, in one request: with `interval` the metrics endpoint answers a
 * summary per interval from the minute rollups' sketches (intervals without the metric left out).
 */
function DurationChart({ state }: { state: AnalyticsState }) {
  const query = useQuery({
    queryKey: ['analytics', 'metrics', state.range, state.filters],
    queryFn: ({ signal }) =>
      api<{ overall: MetricSummary; series: MetricPoint[] }>('/analytics/metrics', {
        query: { ...filterQuery(state), metric: 'duration_ms', interval: RANGES[state.range].interval },
        signal,
      }),
  });
  return (
    <Section title="Duration (duration_ms) percentiles over time">
      <QueryView
        query={query}
        what="durations"
        isEmpty={(data) => data.series.length === 0}
        empty="No event with a duration_ms matches these filters in this range."
      >
        {(data) => (
          <Chart
            title={`p50, p95 and p99 per ${RANGES[state.range].interval} (UTC)`}
            times={data.series.map((point) => point.time)}
            series={[
              { label: 'p50', values: data.series.map((point) => point.p50), color: color(1) },
              { label: 'p95', values: data.series.map((point) => point.p95), color: color(4) },
              { label: 'p99', values: data.series.map((point) => point.p99), color: color(2) },
            ]}
            valueFormat={formatDuration}
          />
        )}
      </QueryView>
    </Section>
  );
}

function ErrorRateByVersion({ state }: { state: AnalyticsState }) {
  const query = useQuery({
    queryKey: ['analytics', 'errors', state.filters, state.range],
    queryFn: ({ signal }) => api<ErrorRates>('/analytics/errors', { query: { ...filterQuery(state), group_by: 'app_version' }, signal }),
  });
  return (
    <Section title="Error rate by app version">
      <QueryView query={query} what="error rates" isEmpty={(data) => data.groups.length === 0} empty="No events in this range, so no error rate.">
        {(data) => (
          <Bars
            label="Error rate by app version"
            format={formatPercent}
            rows={data.groups.slice(0, 12).map((group) => ({
              key: groupLabel(group.group),
              label: groupLabel(group.group),
              value: group.error_rate ?? 0,
              detail: `(${formatNumber(group.errors)} of ${formatNumber(group.events)})`,
            }))}
          />
        )}
      </QueryView>
    </Section>
  );
}

function ConversionPanel({ state }: { state: AnalyticsState }) {
  const query = useQuery({
    queryKey: ['analytics', 'conversion', state.filters, state.range],
    queryFn: ({ signal }) => api<Conversion>('/analytics/conversion', { query: { ...filterQuery(state) }, signal }),
  });
  return (
    <Section title="Conversion of guests first seen in this range">
      <QueryView query={query} what="conversion" isEmpty={(data) => data.guests === 0} empty="No guest was first seen in this range.">
        {(data) => (
          <>
            <dl className="totals">
              <div>
                <dt>Guests</dt>
                <dd>{formatNumber(data.guests)}</dd>
              </div>
              <div>
                <dt>Converted</dt>
                <dd>
                  {formatNumber(data.converted)} ({formatPercent(data.conversion_rate)})
                </dd>
              </div>
              <div>
                <dt>Median time to convert</dt>
                <dd>{formatDuration(data.median_time_to_convert_ms)}</dd>
              </div>
            </dl>
            {data.events_before_conversion.length > 0 && (
              <>
                <h3>Events converted guests sent before converting</h3>
                <Bars
                  label="Share of converted guests who sent each event"
                  format={formatPercent}
                  rows={data.events_before_conversion.map((entry) => ({
                    key: entry.name,
                    label: entry.name,
                    value: entry.share_of_converted ?? 0,
                    detail: `(${formatNumber(entry.users)} guests, ${formatNumber(entry.events)} events)`,
                  }))}
                />
              </>
            )}
          </>
        )}
      </QueryView>
    </Section>
  );
}

export function Analytics() {
  const { params } = useLocation();
  const state = readState(params);
  return (
    <>
      <h1>Analytics</h1>
      <p className="muted">Times are UTC. Counts come from minute rollups; distinct counts and percentiles are estimates (see docs/telemetry.md).</p>
      <FilterForm state={state} />
      <EventsChart state={state} />
      <div className="grid">
        <DurationChart state={state} />
        <ErrorRateByVersion state={state} />
      </div>
      <ConversionPanel state={state} />
    </>
  );
}
