// The events the ingest bench sends and inserts: the shape a web front end sends (a page or
// feature event with a few props, its context and a latency), ids made cheaply from a counter.

const NAMES = ['page.view', 'feature.used', 'checkout.step', 'search.performed', 'api.call'];
const PATHS = ['/', '/pricing', '/docs/getting-started', '/checkout', '/account/settings'];

export interface BenchEvent {
  id: string;
  name: string;
  ts: number;
  props: Record<string, string | number | boolean>;
  context: { app_version: string; deployment: string; platform: string; locale: string };
  metrics: Record<string, number>;
}

/** Event number `sequence` of stream `stream`: a UUID-shaped id unique per (stream, sequence). */
export function benchEvent(sequence: number, stream: number, now: number): BenchEvent {
  const id = `${stream.toString(16).padStart(8, '0')}-0000-4000-8000-${sequence.toString(16).padStart(12, '0')}`;
  return {
    id,
    name: NAMES[sequence % NAMES.length]!,
    ts: now - (sequence % 1000),
    props: { path: PATHS[sequence % PATHS.length]!, plan: sequence % 3 === 0 ? 'pro' : 'free', step: sequence % 7, returning: sequence % 2 === 0 },
    context: { app_version: sequence % 10 === 0 ? '1.4.1' : '1.4.2', deployment: 'prod', platform: 'web', locale: 'en-GB' },
    metrics: { duration_ms: 5 + ((sequence * 37) % 400) },
  };
}
