/**
 * Relative arrival rate by local hour of day, for a consumer app: a trough before dawn, a
 * lunchtime shoulder and an evening peak (the familiar shape of web traffic). Interpolated
 * linearly between hours so there are no steps at the top of the hour.
 */
const BY_LOCAL_HOUR = [
  0.38, 0.24, 0.16, 0.12, 0.11, 0.15, 0.3, 0.55, 0.8, 0.95, 1.02, 1.08, 1.14, 1.1, 1.04, 1.02, 1.06, 1.16, 1.3, 1.45, 1.52, 1.4, 1.05, 0.66,
];
const MEAN = BY_LOCAL_HOUR.reduce((sum, x) => sum + x, 0) / BY_LOCAL_HOUR.length;

/** The arrival-rate multiplier (mean 1 over a day) at `time` for a place `utcOffset` hours from UTC. */
export function diurnalFactor(time: number, utcOffset: number): number {
  const hours = (((time / 3_600_000 + utcOffset) % 24) + 24) % 24;
  const h = Math.floor(hours);
  const next = (h + 1) % 24;
  const f = hours - h;
  return ((BY_LOCAL_HOUR[h] ?? 1) * (1 - f) + (BY_LOCAL_HOUR[next] ?? 1) * f) / MEAN;
}
