/** One telemetry event as POST /v1/events takes it. */
export interface TelemetryEvent {
  id: string;
  name: string;
  ts: number;
  props?: Record<string, string | number | boolean>;
  context?: TelemetryContext;
}

export interface TelemetryContext {
  app_version?: string;
  deployment?: string;
  platform?: string;
  locale?: string;
}

export interface TelemetryOptions {
  /** Events that make the queue flush at once. @default 20 */
  batchSize?: number;
  /** Milliseconds an event waits at most before its batch is sent. @default 5000 */
  flushInterval?: number;
  /** Sent with every event. */
  context?: TelemetryContext;
}

export interface TelemetryTransport {
  /** Sends a batch while the page lives (the fetch wrapper: token, proof, retry on 401). */
  post(events: TelemetryEvent[]): Promise<Response>;
  /** Hands a batch to the browser as the page goes away; false when it could not. */
  beacon(events: TelemetryEvent[]): boolean;
  /** Called on each event, so what `beacon` needs can be made ahead (a DPoP proof). */
  prepare?(): void;
  now(): number;
}

export interface Telemetry {
  track(name: string, props?: TelemetryEvent['props']): void;
  flush(): Promise<void>;
  /** The page is going away: send what is queued by beacon. */
  pagehide(): void;
}

/** The server takes 500 events a request; smaller batches keep a failed request cheap. */
const MAX_BATCH = 100;

/**
 * Batches events: a batch leaves when it is full or `flushInterval` after its first event, and
 * by beacon when the page is hidden for good. A 429 or 5xx keeps the batch and waits for
 * `Retry-After` (or the interval); a network failure retries after the interval. Any other
 * answer ends the batch: a 202 stored it, and resending what a 4xx refused cannot help.
 */
export function createTelemetry(transport: TelemetryTransport, { batchSize = 20, flushInterval = 5000, context }: TelemetryOptions = {}): Telemetry {
  let queue: TelemetryEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pausedUntil = 0;
  let inflight: Promise<void> | undefined;
  /**
   * The batch `inflight` carries until its answer. A page that closes cancels its ordinary
   * fetches, so pagehide sends this batch again by beacon: the server stores an event id once,
   * so a batch that did arrive is counted once all the same.
   */
  let sending: TelemetryEvent[] = [];

  const schedule = (ms: number) => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void flush();
    }, ms);
  };

  const send = async (batch: TelemetryEvent[]) => {
    let retryAfter = 0;
    sending = batch;
    // Should the page close before the answer, the beacon that resends this batch needs its proof made now.
    transport.prepare?.();
    try {
      const response = await transport.post(batch);
      if (response.status === 429 || response.status >= 500) retryAfter = (Number(response.headers.get('retry-after')) || flushInterval / 1000) * 1000;
    } catch {
      retryAfter = flushInterval;
    }
    // Emptied by pagehide when it took the batch over: the beacon has it now.
    if (sending !== batch) return;
    sending = [];
    if (retryAfter > 0) {
      queue = [...batch, ...queue];
      pausedUntil = Date.now() + retryAfter;
    }
  };

  async function flush(): Promise<void> {
    if (inflight) return inflight;
    const wait = pausedUntil - Date.now();
    if (wait > 0) return schedule(wait);
    if (queue.length === 0) return;
    clearTimeout(timer);
    timer = undefined;
    inflight = send(queue.splice(0, MAX_BATCH)).finally(() => {
      inflight = undefined;
      if (queue.length > 0) schedule(Math.max(pausedUntil - Date.now(), queue.length >= batchSize ? 0 : flushInterval));
    });
    return inflight;
  }

  return {
    track(name, props) {
      queue.push({ id: crypto.randomUUID(), name, ts: transport.now(), ...(props ? { props } : {}), ...(context ? { context } : {}) });
      transport.prepare?.();
      if (queue.length >= batchSize) void flush();
      else schedule(flushInterval);
    },
    flush,
    pagehide() {
      // While the server asks us to wait, a beacon would only be refused: the events stay queued
      // (they are lost if the page closes, which beats ignoring Retry-After).
      const pending = [...sending, ...queue];
      if (pending.length === 0 || Date.now() < pausedUntil) return;
      const batch = pending.slice(0, MAX_BATCH);
      if (!transport.beacon(batch)) return;
      // The beacon now holds the in-flight batch: its answer, should one come, changes nothing.
      queue = queue.slice(Math.max(0, batch.length - sending.length));
      sending = [];
      // Nothing left for the timer to send; a page back from the back-forward cache schedules
      // anew with its next event. (A pending timer also kept a test's process alive a minute.)
      if (queue.length === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
    },
  };
}
