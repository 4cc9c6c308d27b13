import { acceptance, type SimulationReport } from './evaluate.js';

/** The object `--report json` prints (docs/simulator.md), plus `detail` only when asked for. */
export function jsonReport(report: SimulationReport, withDetail: boolean): Record<string, unknown> {
  const { detail, ...summary } = report;
  return withDetail ? { ...summary, detail } : summary;
}

export interface RunFacts {
  title: string;
  wallMs: number;
  engineMs?: number;
  notes?: string[];
}

/** The human report: one row per attack kind, false alerts and what caused them, the acceptance targets. */
export function tableReport(report: SimulationReport, facts: RunFacts, withInstances: boolean): string {
  const lines: string[] = [];
  const { detail } = report;
  const engine = facts.engineMs === undefined ? '' : `, engine ${(facts.engineMs / 1000).toFixed(1)} s`;
  lines.push(
    `${facts.title}: ${detail.events.toLocaleString('en')} events, ${report.legit_sessions.toLocaleString('en')} legitimate sessions, ${detail.instances.length} attacks; ${(facts.wallMs / 1000).toFixed(1)} s wall${engine}`,
  );
  for (const note of facts.notes ?? []) lines.push(`  ${note}`);
  if (detail.cut_off.length > 0) lines.push(`  not scored, cut off by the end of the window: ${detail.cut_off.join(', ')}`);
  lines.push('');
  const rows = report.attacks.map((a) => [
    a.kind,
    String(a.injected),
    String(a.detected),
    a.injected === 0 ? '-' : `${Math.round((100 * a.detected) / a.injected)}%`,
    a.median_ttd_s === null ? '-' : `${a.median_ttd_s} s`,
  ]);
  lines.push(...table(['attack', 'injected', 'detected', 'rate', 'median time to detect'], rows));
  lines.push('');
  lines.push(
    `false alerts: ${report.false_alerts} (${report.false_alerts_per_10k} per 10,000 legitimate sessions); hard-invariant false positives: ${detail.hard_invariant_false_positives}`,
  );
  if (report.false_alerts > 0) {
    lines.push(`  by detector: ${entries(detail.false_alerts_by_detector)}`);
    lines.push(`  by who was accused: ${entries(detail.false_alerts_by_cohort)}`);
  }
  lines.push(`legitimate sessions by cohort: ${entries(detail.legit_sessions_by_cohort)}`);
  lines.push('');
  lines.push('detection targets:');
  for (const { target, met } of acceptance(report)) lines.push(`  ${met ? 'met   ' : 'MISSED'}  ${target}`);
  if (withInstances) {
    lines.push('');
    lines.push(
      ...table(
        ['attack', 'injected at (event time)', 'first detected by', 'time to detect', 'by its own detector', 'what'],
        detail.instances.map((i) => [
          i.id,
          new Date(i.injected).toISOString().slice(0, 19).replace('T', ' '),
          i.detector ?? 'MISSED',
          i.ttd_s === null ? '-' : `${i.ttd_s.toFixed(1)} s`,
          i.primary_ttd_s === null ? '-' : `${i.primary_ttd_s.toFixed(1)} s`,
          i.note,
        ]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

function entries(record: Record<string, number>): string {
  const list = Object.entries(record).sort((a, b) => b[1] - a[1]);
  return list.length === 0 ? 'none' : list.map(([k, v]) => `${k} ${v}`).join(', ');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
