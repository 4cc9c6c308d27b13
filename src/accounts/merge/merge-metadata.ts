import type { Metadata } from '../../sessions/index.js';
import type { MergeStrategies, MergeStrategy } from './strategies.js';

/** One side of a merge: its metadata and when it was last written (for `latest`). */
export interface MergeSide {
  metadata: Metadata;
  updatedAt: number;
}

export interface MergeDecision {
  key: string;
  strategy: MergeStrategy['strategy'];
  /** Which side the result came from, or `both` when combined. */
  source: 'account' | 'guest' | 'both';
}

export interface MergeResult {
  metadata: Metadata;
  decisions: MergeDecision[];
}

/**
 * Merges a guest's metadata into an account's, key by key. Pure: the same inputs always give
 * the same result, so the preview endpoint and the real merge cannot disagree.
 */
export function mergeMetadata(account: MergeSide, guest: MergeSide, strategies: MergeStrategies): MergeResult {
  const metadata: Metadata = {};
  const decisions: MergeDecision[] = [];
  const keys = new Set([...Object.keys(account.metadata), ...Object.keys(guest.metadata)]);
  for (const key of keys) {
    const strategy = strategies[key] ?? { strategy: 'prefer_account' };
    const [value, source] = mergeValue(key, account, guest, strategy);
    if (value !== undefined) metadata[key] = value;
    decisions.push({ key, strategy: strategy.strategy, source });
  }
  return { metadata, decisions };
}

function mergeValue(key: string, account: MergeSide, guest: MergeSide, { strategy, id }: MergeStrategy): [unknown, MergeDecision['source']] {
  const a = account.metadata[key];
  const g = guest.metadata[key];
  // A key only one side has is taken from that side, whatever the strategy.
  if (a === undefined) return [g, 'guest'];
  if (g === undefined) return [a, 'account'];
  switch (strategy) {
    case 'prefer_guest':
      return [g, 'guest'];
    case 'latest':
      // Ties go to the account: it is the identity the user chose to keep.
      return guest.updatedAt > account.updatedAt ? [g, 'guest'] : [a, 'account'];
    case 'sum':
      return typeof a === 'number' && typeof g === 'number' ? [a + g, 'both'] : [a, 'account'];
    case 'union':
      return Array.isArray(a) && Array.isArray(g) ? [union(a, g, id), 'both'] : [a, 'account'];
    case 'prefer_account':
      return [a, 'account'];
  }
}

/** Account items first, then guest items not already present (by `id` field, else by value). */
function union(account: unknown[], guest: unknown[], idField: string | undefined): unknown[] {
  const identity = (item: unknown): string => {
    if (idField && typeof item === 'object' && item !== null && idField in item) return `id:${JSON.stringify((item as Record<string, unknown>)[idField])}`;
    return `value:${stableStringify(item)}`;
  };
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const item of [...account, ...guest]) {
    const key = identity(item);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(item);
  }
  return result;
}

/** JSON with object keys sorted, so {a,b} and {b,a} are the same item. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
