/**
 * Horizontal bars for a few labelled values (error rate by version, events before converting):
 * categories read better as bars with their numbers than as a time chart. Widths are set through
 * the DOM (React's style property), which the console's CSP allows, not as inline markup.
 */
export function Bars({
  rows,
  format,
  label,
}: {
  rows: { key: string; label: string; value: number; detail?: string }[];
  format: (value: number) => string;
  label: string;
}) {
  const max = Math.max(...rows.map((row) => row.value), 0);
  return (
    <ul className="bars" aria-label={label}>
      {rows.map((row) => (
        <li key={row.key}>
          <span className="bar-label">{row.label}</span>
          <span className="bar-track" aria-hidden="true">
            <span className="bar-fill" style={{ width: `${max > 0 ? (row.value / max) * 100 : 0}%` }} />
          </span>
          <span className="bar-value">
            {format(row.value)}
            {row.detail && <span className="muted"> {row.detail}</span>}
          </span>
        </li>
      ))}
    </ul>
  );
}
