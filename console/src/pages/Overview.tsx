import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api/client';
import type { Overview as OverviewAnswer } from '../api/types';
import { Chart, color } from '../components/Chart';
import { formatNumber, toMs } from '../components/format';
import { QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';

const RANGES = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '30d', label: 'Last 30 days' },
] as const;

/** One chart each; `totalKey` is the figure shown above the charts for the same series. */
const SERIES = [
  { key: 'guests_created', label: 'Guests created', kind: 'bars' },
  { key: 'active_users', label: 'Active users', kind: 'line' },
  { key: 'conversions', label: 'Conversions', kind: 'bars' },
  { key: 'alerts', label: 'Alerts', kind: 'bars' },
] as const;

/** The totals row: stored users, activity over 24 h and 30 days, and the range's sums. */
function totalsOf(data: OverviewAnswer): { key: string; label: string; value: number }[] {
  const { totals } = data;
  return [
    { key: 'guests', label: 'Guests (stored)', value: totals.guests },
    { key: 'registered_users', label: 'Registered users', value: totals.registered_users },
    { key: 'active_users_24h', label: 'Active users, 24 h', value: totals.active_users_24h },
    { key: 'active_users_30d', label: 'Active users, 30 days', value: totals.active_users_30d },
    { key: 'guests_created', label: `Guests created, ${data.range === '24h' ? '24 h' : '30 days'}`, value: totals.guests_created },
    { key: 'conversions', label: `Conversions, ${data.range === '24h' ? '24 h' : '30 days'}`, value: totals.conversions },
    { key: 'alerts', label: `Alerts, ${data.range === '24h' ? '24 h' : '30 days'}`, value: totals.alerts },
  ];
}

function OverviewCharts({ data }: { data: OverviewAnswer }) {
  const charts = useMemo(() => {
    const times = data.buckets.map((bucket) => toMs(bucket.time));
    return SERIES.map((entry, index) => ({
      ...entry,
      times,
      series:
        entry.key === 'active_users'
          ? [
              { label: 'Guests', values: data.buckets.map((bucket) => bucket.active_guests), color: color(index) },
              { label: 'Registered', values: data.buckets.map((bucket) => bucket.active_registered), color: color(index + 1) },
            ]
          : [{ label: entry.label, values: data.buckets.map((bucket) => bucket[entry.key]), color: color(index) }],
    }));
  }, [data]);
  return (
    <>
      <dl className="totals">
        {totalsOf(data).map((entry) => (
          <div key={entry.key}>
            <dt>{entry.label}</dt>
            <dd data-total={entry.key}>{formatNumber(entry.value)}</dd>
          </div>
        ))}
      </dl>
      <div className="grid">
        {charts.map((chart) => (
          <Chart key={chart.key} title={chart.label} times={chart.times} series={chart.series} kind={chart.kind} />
        ))}
      </div>
    </>
  );
}

export function Overview() {
  const { params } = useLocation();
  const range = params.get('range') === '30d' ? '30d' : '24h';
  const query = useQuery({
    queryKey: ['overview', range],
    queryFn: ({ signal }) => api<OverviewAnswer>('/stats/overview', { query: { range }, signal }),
    refetchInterval: 60_000,
  });
  return (
    <>
      <h1>Overview</h1>
      <Section
        title={`Guests, users, conversions and alerts (${range === '24h' ? 'hourly' : 'daily'}, UTC)`}
        actions={
          <fieldset className="segmented">
            <legend className="visually-hidden">Range</legend>
            {RANGES.map((option) => (
              <label key={option.value}>
                <input type="radio" name="range" value={option.value} checked={range === option.value} onChange={() => setParams({ range: option.value })} />
                {option.label}
              </label>
            ))}
          </fieldset>
        }
      >
        <QueryView query={query} what="the overview" isEmpty={(data) => data.buckets.length === 0} empty="No activity in this range yet.">
          {(data) => <OverviewCharts data={data} />}
        </QueryView>
      </Section>
    </>
  );
}
