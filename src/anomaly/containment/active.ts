import type { Entity } from '../types.js';
import type { Block, LastingAction } from './types.js';

const entityKey = (entity: Entity) => `${entity.kind}:${entity.id}`;

/**
 * The blocks in force, in memory, so the per-request check is a few Map lookups and never a
 * query. Per (action, entity) the block that ends last is the one enforced; lifting it falls
 * back to any other block still active for the same pair. Expired blocks drop out lazily.
 */
export class ActiveBlocks {
  private readonly byId = new Map<string, Block>();
  private readonly enforced = new Map<LastingAction, Map<string, Block>>([
    ['throttle', new Map()],
    ['block_prefix', new Map()],
    ['quarantine', new Map()],
  ]);
  /** How many enforced blocks each `action:kind` has, so a request skips kinds with none. */
  private readonly counts = new Map<string, number>();

  get size(): number {
    return this.byId.size;
  }

  add(block: Block): void {
    this.byId.set(block.id, block);
    const map = this.enforced.get(block.action)!;
    const key = entityKey(block.entity);
    const current = map.get(key);
    if (current && current.expiresAt >= block.expiresAt) return;
    if (!current) this.count(block, 1);
    map.set(key, block);
  }

  /** Drops a block (lifted, or replaced by a new alert id); returns it if it was here. */
  remove(id: string): Block | undefined {
    const block = this.byId.get(id);
    if (!block) return undefined;
    this.byId.delete(id);
    const map = this.enforced.get(block.action)!;
    const key = entityKey(block.entity);
    if (map.get(key)?.id === id) {
      map.delete(key);
      this.count(block, -1);
      const next = [...this.byId.values()]
        .filter((other) => other.action === block.action && entityKey(other.entity) === key)
        .sort((a, b) => b.expiresAt - a.expiresAt)[0];
      if (next) this.add(next);
    }
    return block;
  }

  /** True when any block of this action covers entities of this kind (the cheap pre-check). */
  any(action: LastingAction, kind: Entity['kind']): boolean {
    return (this.counts.get(`${action}:${kind}`) ?? 0) > 0;
  }

  /** The block in force for this action and entity at `now`, if any. */
  find(action: LastingAction, kind: Entity['kind'], id: string, now: number): Block | undefined {
    const map = this.enforced.get(action)!;
    const block = map.get(`${kind}:${id}`);
    if (!block) return undefined;
    if (block.expiresAt > now) return block;
    this.remove(block.id);
    return this.find(action, kind, id, now);
  }

  get(id: string): Block | undefined {
    return this.byId.get(id);
  }

  /** Forgets every expired block (run now and then; `find` also drops them as it meets them). */
  sweep(now: number): void {
    for (const block of [...this.byId.values()]) if (block.expiresAt <= now) this.remove(block.id);
  }

  private count(block: Block, delta: number): void {
    const key = `${block.action}:${block.entity.kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + delta);
  }
}
