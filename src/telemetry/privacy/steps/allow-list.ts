// Allow-lists come from client configuration and are read for every event. Short lists are
// searched directly (faster than hashing); long ones get a Set, built once per array. The
// arrays are treated as immutable: a policy change must come as a new array.
const SHORT = 16;
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

export function isAllowed(list: readonly string[], value: string): boolean {
  if (list.length <= SHORT) return list.includes(value);
  let set = sets.get(list);
  if (set === undefined) {
    set = new Set(list);
    sets.set(list, set);
  }
  return set.has(value);
}

/**
 * A copy of `record` holding only the keys `keep` accepts, calling `removed` for each other key.
 * Returns `record` itself when nothing is removed, so the common case allocates nothing.
 * `__proto__` is written as an own property, never as the prototype.
 */
export function filterRecord<V>(record: Record<string, V>, keep: (key: string, value: V) => boolean, removed: (key: string) => void): Record<string, V> {
  let out: Record<string, V> | undefined;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = record[key] as V;
    if (keep(key, value)) {
      if (out !== undefined) setOwn(out, key, value);
      continue;
    }
    removed(key);
    if (out === undefined) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, record[keys[j] as string] as V);
    }
  }
  return out ?? record;
}

export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
