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

const SERIES = [
  { key: 'guests_created', label: 'Guests created', kind: 'bars' },
  { key: 'active_users', label: 'Active users', kind: 'line' },
  { key: 'conversions', label: 'Conversions', kind: 'bars' },
  { key: 'alerts', label: 'Alerts', kind: 'bars' },
] as const;

function OverviewCharts({ data }: { data: OverviewAnswer }) {
  const charts = useMemo(() => {
    const times = data.buckets.map((bucket) => toMs(bucket.time));
    return SERIES.map((entry, index) => ({
      ...entry,
      times,
      series: [{ label: entry.label, values: data.buckets.map((bucket) => bucket[entry.key]), color: color(index) }],
    }));
  }, [data]);
  return (
    <>
      <dl className="totals">
        {SERIES.map((entry) => (
          <div key={entry.key}>
            <dt>{entry.label}</dt>
            <dd data-total={entry.key}>{formatNumber(data.totals[entry.key])}</dd>
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
