import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

export interface ChartProps {
  title: string;
  /** Epoch milliseconds, ascending. */
  times: number[];
  series: Series[];
  height?: number;
  /** Bars read better for counts per bucket; lines for rates and percentiles. */
  kind?: 'line' | 'bars';
  valueFormat?: (value: number) => string;
}

const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
export const color = (index: number): string => PALETTE[index % PALETTE.length]!;

/** uPlot draws times in the browser's zone unless told: the console's charts are UTC like the rest. */
const inUtc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

/**
 * A uPlot chart that follows its container's width. The figure has a text alternative (the
 * totals per series) for screen readers and for anyone who would rather read than look.
 */
export function Chart({ title, times, series, height = 220, kind = 'line', valueFormat }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const bars = kind === 'bars' ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
    const options: Options = {
      width: Math.max(element.clientWidth, 240),
      height,
      tzDate: inUtc,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { label: 'Time (UTC)', stroke: '#475569', grid: { stroke: '#e2e8f0' } },
        {
          stroke: '#475569',
          grid: { stroke: '#e2e8f0' },
          size: 56,
          ...(valueFormat ? { values: (_u: uPlot, ticks: number[]) => ticks.map(valueFormat) } : {}),
        },
      ],
      series: [
        { label: 'Time (UTC)' },
        ...series.map((entry) => ({
          label: entry.label,
          stroke: entry.color,
          width: 2,
          spanGaps: false,
          ...(bars ? { paths: bars, fill: `${entry.color}99` } : { fill: `${entry.color}14` }),
          ...(valueFormat ? { value: (_u: uPlot, value: number | null) => (value === null ? '—' : valueFormat(value)) } : {}),
        })),
      ],
    };
    const data: AlignedData = [times.map((ms) => ms / 1000), ...series.map((entry) => entry.values)];
    const chart = new uPlot(options, data, element);
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 240), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
  }, [times, series, height, kind, valueFormat]);

  const show = valueFormat ?? ((value: number) => value.toLocaleString('en-US'));
  const summary = series
    .map((entry) => {
      const known = entry.values.filter((value): value is number => value !== null);
      if (kind === 'bars') return `${entry.label}: ${show(known.reduce((sum, value) => sum + value, 0))} in all`;
      return `${entry.label}: latest ${known.length > 0 ? show(known[known.length - 1]!) : 'none'}`;
    })
    .join(', ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart-canvas" role="img" aria-label={`${title}. ${summary}`} data-points={times.length} />
    </figure>
  );
}
