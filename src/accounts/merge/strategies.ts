/**
 * How a guest's metadata merges into an existing account, per top-level key (README "From guest to account").
 * Global strategies come from GUESTPASS_MERGE_STRATEGIES; a client's guest settings may
 * override them key by key. Keys without a strategy use `prefer_account`.
 */

export const MERGE_STRATEGY_NAMES = ['prefer_account', 'prefer_guest', 'union', 'sum', 'latest'] as const;
export type MergeStrategyName = (typeof MERGE_STRATEGY_NAMES)[number];

export interface MergeStrategy {
  strategy: MergeStrategyName;
  /** `union` only: the field that identifies an array item (`sku`); items are compared whole without it. */
  id?: string;
}

export type MergeStrategies = Record<string, MergeStrategy>;

/** Reads `{"cart": "union"}` or `{"cart": {"strategy": "union", "id": "sku"}}`; throws a sentence on error. */
export function readMergeStrategies(value: unknown, where = 'merge strategies'): MergeStrategies {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be a JSON object of key → strategy`);
  const result: MergeStrategies = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const spec = typeof raw === 'string' ? { strategy: raw } : raw;
    if (typeof spec !== 'object' || spec === null) throw new Error(`${where}: "${key}" must be a strategy name or {strategy, id}`);
    const { strategy, id, ...rest } = spec as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new Error(`${where}: "${key}" has unknown field ${Object.keys(rest)[0]}`);
    if (!MERGE_STRATEGY_NAMES.includes(strategy as MergeStrategyName)) {
      throw new Error(`${where}: "${key}" has unknown strategy ${JSON.stringify(strategy)}; use one of ${MERGE_STRATEGY_NAMES.join(', ')}`);
    }
    if (id !== undefined && (typeof id !== 'string' || strategy !== 'union')) throw new Error(`${where}: "${key}": id is a field name, and only for union`);
    result[key] = { strategy: strategy as MergeStrategyName, ...(id !== undefined ? { id: id as string } : {}) };
  }
  return result;
}

/** GUESTPASS_MERGE_STRATEGIES. */
export function parseMergeStrategies(raw: string): MergeStrategies {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be JSON such as {"cart": "union", "visits": "sum"}');
  }
  return readMergeStrategies(parsed, 'must be valid:');
}
