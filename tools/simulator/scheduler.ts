import type { DomainEvent } from '../../src/events/types.js';
import type { ActorSpec, SimContext } from './context.js';
import type { Rng } from './prng.js';

interface Running {
  events: DomainEvent[];
  next: number;
  /** Instantiation order: breaks ties between actors deterministically. */
  seq: number;
}

/**
 * Merges every actor's events into one stream in event-time order, instantiating each actor
 * only when the stream reaches its start (memory holds the live actors, not the day). Events
 * at or after the window's end are dropped.
 */
export function* schedule(ctx: SimContext, root: Rng, specs: ActorSpec[]): Generator<DomainEvent> {
  const pending = [...specs].sort((a, b) => a.time - b.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heap = new MinHeap();
  let p = 0;
  let seq = 0;
  for (;;) {
    const top = heap.peek();
    const nextSpec = pending[p];
    if (nextSpec && (!top || nextSpec.time <= (top.events[top.next]?.time ?? Infinity))) {
      p += 1;
      const events = nextSpec.run(ctx, root.fork(nextSpec.name)).filter((e) => e.time < ctx.end);
      if (events.length === 0) continue;
      // Stable: equal times keep the order the actor produced them in (created before login.succeeded).
      events.sort((a, b) => a.time - b.time);
      if (events[0]!.time < Math.floor(nextSpec.time)) throw new Error(`actor ${nextSpec.name} emitted an event before its start`);
      heap.push({ events, next: 0, seq: seq++ });
      continue;
    }
    if (!top) return;
    const event = top.events[top.next]!;
    top.next += 1;
    if (top.next < top.events.length) heap.replaceTop(top);
    else heap.pop();
    yield event;
  }
}

function before(a: Running, b: Running): boolean {
  const ta = a.events[a.next]!.time;
  const tb = b.events[b.next]!.time;
  return ta < tb || (ta === tb && a.seq < b.seq);
}

/** A binary min-heap of running actors keyed by their next event's time. */
class MinHeap {
  private readonly items: Running[] = [];

  peek(): Running | undefined {
    return this.items[0];
  }

  push(item: Running): void {
    this.items.push(item);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(this.items[i]!, this.items[parent]!)) break;
      [this.items[i], this.items[parent]] = [this.items[parent]!, this.items[i]!];
      i = parent;
    }
  }

  pop(): void {
    const last = this.items.pop();
    if (this.items.length > 0 && last) this.replaceTop(last);
  }

  /** Puts `item` at the root (after its key grew, or as the moved last item) and sifts it down. */
  replaceTop(item: Running): void {
    this.items[0] = item;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < this.items.length && before(this.items[l]!, this.items[smallest]!)) smallest = l;
      if (r < this.items.length && before(this.items[r]!, this.items[smallest]!)) smallest = r;
      if (smallest === i) return;
      [this.items[i], this.items[smallest]] = [this.items[smallest]!, this.items[i]!];
      i = smallest;
    }
  }
}
