import type { Selectable } from 'kysely';
import { DDSketch, type DDSketchJson } from './sketches/ddsketch.js';
import { DistinctSketch } from './sketches/distinct.js';
import type { EventRollupsTable } from './tables.js';
import { MINUTE_MS } from '../shared/time.js';

/** Metric names tracked per rollup row; past it new names are left out of that row only. */
const MAX_METRICS_PER_ROW = 64;

/** The dimensions of one rollup row; '' stands for "not sent". */
export type RollupKey = Pick<EventRollupsTable, 'bucket' | 'client_id' | 'name' | 'app_version' | 'deployment' | 'origin' | 'is_anonymous' | 'country'>;

/** What a stored event contributes to its rollup row. */
export interface RollupInput extends Omit<RollupKey, 'bucket'> {
  ts: number;
  user_id: string;
  session_id: string | null;
  has_error: boolean;
  metrics: Record<string, number>;
}

/** The mergeable content of a rollup row. */
export class RollupState {
  events = 0;
  errors = 0;
  readonly sessions: DistinctSketch;
  readonly users: DistinctSketch;
  readonly metrics: Map<string, DDSketch>;

  constructor(sessions = new DistinctSketch(), users = new DistinctSketch(), metrics = new Map<string, DDSketch>()) {
    this.sessions = sessions;
    this.users = users;
    this.metrics = metrics;
  }

  add(input: RollupInput): void {
    this.events += 1;
    if (input.has_error) this.errors += 1;
    // A client_credentials token has no session: its subject stands in, as in the rate limit.
    this.sessions.add(input.session_id ?? `sub:${input.user_id}`);
    this.users.add(input.user_id);
    for (const [name, value] of Object.entries(input.metrics)) this.metric(name)?.add(value);
  }

  merge(other: RollupState): void {
    this.events += other.events;
    this.errors += other.errors;
    this.sessions.merge(other.sessions);
    this.users.merge(other.users);
    for (const [name, sketch] of other.metrics) this.metric(name)?.merge(sketch);
  }

  /** The sketch for `name`, created on first use; undefined past the per-row bound. */
  private metric(name: string): DDSketch | undefined {
    let sketch = this.metrics.get(name);
    if (!sketch && this.metrics.size < MAX_METRICS_PER_ROW) this.metrics.set(name, (sketch = new DDSketch()));
    return sketch;
  }

  toColumns(): Pick<EventRollupsTable, 'events' | 'errors' | 'sessions' | 'users' | 'metrics'> {
    return {
      events: this.events,
      errors: this.errors,
      sessions: this.sessions.serialize(),
      users: this.users.serialize(),
      metrics: JSON.stringify(Object.fromEntries([...this.metrics].map(([name, sketch]) => [name, sketch.toJSON()]))),
    };
  }

  static fromColumns(row: Pick<Selectable<EventRollupsTable>, 'events' | 'errors' | 'sessions' | 'users' | 'metrics'>): RollupState {
    const metrics = new Map<string, DDSketch>();
    for (const [name, json] of Object.entries(JSON.parse(row.metrics) as Record<string, DDSketchJson>)) metrics.set(name, DDSketch.fromJSON(json));
    const state = new RollupState(DistinctSketch.parse(row.sessions), DistinctSketch.parse(row.users), metrics);
    state.events = Number(row.events);
    state.errors = Number(row.errors);
    return state;
  }
}

const minuteOf = (ts: number) => ts - (((ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

export function rollupKeyOf(input: RollupInput): RollupKey {
  return {
    bucket: minuteOf(input.ts),
    client_id: input.client_id,
    name: input.name,
    app_version: input.app_version,
    deployment: input.deployment,
    origin: input.origin,
    is_anonymous: input.is_anonymous,
    country: input.country,
  };
}

/**
 * A rollup key as one string, for maps and for a stable lock order. The separator is a
 * control character, which no dimension can contain (their schemas exclude it).
 */
export function keyString(key: RollupKey): string {
  return keyOf(key, key.bucket);
}

function keyOf(dimensions: Omit<RollupKey, 'bucket'>, bucket: number): string {
  const { client_id, name, app_version, deployment, origin, is_anonymous, country } = dimensions;
  return `${bucket}\u0001${client_id}\u0001${name}\u0001${app_version}\u0001${deployment}\u0001${origin}\u0001${is_anonymous}\u0001${country}`;
}

/** Groups inputs by rollup row: the contributions one transaction merges into the table. */
export function groupByRollup(inputs: Iterable<RollupInput>): Map<string, { key: RollupKey; state: RollupState }> {
  const groups = new Map<string, { key: RollupKey; state: RollupState }>();
  for (const input of inputs) {
    // The string first, from the input itself: an object per event only for new groups.
    const id = keyOf(input, minuteOf(input.ts));
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: rollupKeyOf(input), state: new RollupState() }));
    group.state.add(input);
  }
  return groups;
}
