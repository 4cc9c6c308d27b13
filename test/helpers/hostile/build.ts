import type { Baseline } from './baselines.js';
import type { Fixtures } from './fixtures.js';
import type { Route } from './routes.js';
import type { HostileRequest } from './send.js';

/** What generators may use besides the baseline. */
export interface Kit {
  fixtures: Fixtures;
  /** Body limits in force somewhere on the server: every route gets bodies just under and over each. */
  bodyLimits: number[];
  /** Every route of the server, so wrong methods are told from other routes on the same path. */
  routes: Route[];
}

/** One named family of hostile requests, built from a route's valid request. */
export type Generator = (base: Baseline, kit: Kit) => HostileRequest[] | Promise<HostileRequest[]>;

export const FORM = 'application/x-www-form-urlencoded';

/** Every byte percent-encoded, so any string (lone surrogates included) or bytes fit a URL or form. */
export function percent(value: string | Buffer): string {
  return [...(typeof value === 'string' ? Buffer.from(value) : value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

export function formEncode(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${encodeURIComponent(name)}=${percent(typeof value === 'string' ? value : JSON.stringify(value))}`)
    .join('&');
}

/** The baseline's fields with `name` given an already-encoded form value (added when absent). */
export function formWith(base: Baseline, name: string, encodedValue: string): string {
  const rest = formEncode(Object.fromEntries(Object.entries(base.fields).filter(([key]) => key !== name)));
  return [rest, `${encodeURIComponent(name)}=${encodedValue}`].filter(Boolean).join('&');
}

/** JSON text of the fields with raw members (name, JSON text) appended: duplicates stay duplicates. */
export function jsonMembers(fields: Record<string, unknown>, extra: [string, string][], { first = false } = {}): string {
  const own = Object.entries(fields).map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`);
  const added = extra.map(([name, raw]) => `${JSON.stringify(name)}:${raw}`);
  return `{${(first ? [...added, ...own] : [...own, ...added]).join(',')}}`;
}

const MARKER = '\u0001hostile\u0001';

/** JSON of the fields with the value at `path` replaced by raw bytes (any JSON text, or none). */
export function jsonWithRaw(fields: Record<string, unknown>, path: string[], raw: string | Buffer): Buffer {
  const [before = '', after = ''] = JSON.stringify(withValue(fields, path, MARKER)).split(JSON.stringify(MARKER));
  return Buffer.concat([Buffer.from(before), typeof raw === 'string' ? Buffer.from(raw) : raw, Buffer.from(after)]);
}

/** A deep copy of the fields with `value` at `path` (objects are made on the way). */
export function withValue(fields: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(fields);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) ?? 'field'] = value;
  return copy;
}

/**
 * Paths of the string values in the body, depth first (into `events[0].name`), at most `max`:
 * where a hostile string reaches furthest. A body without strings gets a made-up field, so
 * per-field cases still reach the parser (and a merge patch, where any field is accepted).
 */
export function stringPaths(base: Baseline, max = 2): string[][] {
  const found: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (found.length >= max) return;
    if (typeof value === 'string') found.push(path);
    else if (typeof value === 'object' && value !== null) for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(base.fields, []);
  return found.length > 0 ? found : [['field']];
}

/** Top-level field names, JSON-in-form ones (objects, arrays) first: at most `max`. */
export function topFields(base: Baseline, max = 2): string[] {
  const names = Object.entries(base.fields)
    .sort(([, a], [, b]) => Number(typeof a === 'string') - Number(typeof b === 'string'))
    .map(([name]) => name);
  return (names.length > 0 ? names : ['field']).slice(0, max);
}

/** The JSON media type the route takes (merge patch for metadata), or plain JSON. */
export function jsonType(base: Baseline): string {
  return base.bodyType === FORM || base.bodyType === undefined ? 'application/json' : base.bodyType;
}

/** The valid body, in the route's own encoding; `{}` as JSON for routes without one. */
export function naturalBody(base: Baseline): { body: Buffer; type: string } {
  if (base.bodyType === FORM) return { body: Buffer.from(formEncode(base.fields)), type: FORM };
  return { body: Buffer.from(JSON.stringify(base.fields)), type: jsonType(base) };
}

export function queryString(pairs: [string, string][]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

export interface Change {
  method?: string;
  path?: string;
  /** Replaces the query: pairs, or text that goes after `?` as it is. */
  query?: [string, string][] | string;
  /** Replaces the baseline's Authorization/Origin headers. */
  headers?: [string, string][];
  /** Sent after them. */
  extraHeaders?: [string, string][];
  /** The body; null sends none. Default: the valid body, for routes that take one. */
  body?: Buffer | string | null;
  /** null sends no Content-Type; default: the type of the body that is sent. */
  contentType?: string | null;
}

/** A Buffer is sent as it is, uncopied: the large bodies are shared by many requests and never written to. */
const bytesOf = (body: Buffer | string) => (typeof body === 'string' ? Buffer.from(body) : body);

/** The baseline's valid request with one thing changed, labelled `<generator>: <what>`. */
export function variant(base: Baseline, label: string, change: Change = {}): HostileRequest {
  const natural = base.bodyType ? naturalBody(base) : undefined;
  const body = change.body === undefined ? natural?.body : change.body === null ? undefined : bytesOf(change.body);
  const query = change.query === undefined ? queryString(base.query) : typeof change.query === 'string' ? change.query : queryString(change.query);
  const contentType = change.contentType === undefined ? (body ? (natural?.type ?? 'application/json') : undefined) : change.contentType;
  const headers: [string, string][] = [
    ...(change.headers ?? base.headers),
    ...(contentType === null || contentType === undefined ? [] : [['content-type', contentType] as [string, string]]),
    ...(change.extraHeaders ?? []),
  ];
  return {
    label,
    method: change.method ?? base.route.method,
    target: `${change.path ?? base.path}${query ? `?${query}` : ''}`,
    headers,
    ...(body ? { body } : {}),
  };
}

/** The baseline's headers with `name` replaced by `values` (none: removed). */
export function replaceHeader(base: Baseline, name: string, ...values: string[]): [string, string][] {
  return [...base.headers.filter(([key]) => key !== name), ...values.map((value) => [name, value] as [string, string])];
}

/** The token the route's valid request carries, or the admin token for routes without one. */
export function tokenOf(base: Baseline, f: Fixtures): string {
  const bearer = base.headers.find(([name, value]) => name === 'authorization' && value.startsWith('Bearer '));
  return bearer ? bearer[1].slice('Bearer '.length) : f.adminToken;
}

export const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
export const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
export const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
export const range = (count: number) => Array.from({ length: count }, (_, index) => index);
