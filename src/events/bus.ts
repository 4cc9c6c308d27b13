import type { DomainEvent, DomainEvents, EventName } from './types.js';

export type Listener<K extends EventName> = (event: { type: K } & DomainEvents[K]) => void;
type AnyListener = (event: DomainEvent) => void;

export interface EventBusOptions {
  /** Called when a subscriber throws; a subscriber never breaks the request that emitted. */
  onListenerError?: (error: unknown, type: EventName) => void;
}

/**
 * In-process, synchronous, typed event bus. Emitting costs a map lookup when nobody listens,
 * so lifecycle steps emit unconditionally. Subscribers that need I/O start it and return;
 * they must not block the request path.
 */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<AnyListener>>();
  private readonly wildcard = new Set<AnyListener>();

  constructor(private readonly options: EventBusOptions = {}) {}

  on<K extends EventName>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  /** Every event, for replay recorders and the detection engine. */
  onAny(listener: AnyListener): () => void {
    this.wildcard.add(listener);
    return () => this.wildcard.delete(listener);
  }

  emit<K extends EventName>(type: K, payload: DomainEvents[K]): void {
    const set = this.listeners.get(type);
    if (!set && this.wildcard.size === 0) return;
    const event = { type, ...payload } as DomainEvent;
    for (const listener of set ?? []) this.deliver(listener, event);
    for (const listener of this.wildcard) this.deliver(listener, event);
  }

  private deliver(listener: AnyListener, event: DomainEvent): void {
    try {
      listener(event);
    } catch (error) {
      this.options.onListenerError?.(error, event.type);
    }
  }
}
