/** Per-client allow-lists. An absent list allows everything; an empty list allows nothing. */
export interface TelemetryPolicy {
  allowedEvents?: string[];
  allowedProps?: string[];
}

/** An event after schema validation (shapes and sizes), before any privacy step. */
export interface RawTelemetryEvent {
  name: string;
  props: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  context: { app_version?: string; deployment?: string; platform?: string; locale?: string };
  error?: { type: string; message?: string };
}

/**
 * What the pipeline made of one event. A kept event is a new object (the input is never
 * changed) with one redaction per occurrence: each removed prop or metric, each replaced match,
 * each URL part dropped. A dropped event names the step and its stable snake_case reason.
 */
export type PrivacyOutcome =
  | { kept: true; event: RawTelemetryEvent; redactions: { step: string; reason: string }[] }
  | { kept: false; step: string; reason: string; description: string };

/** Why a step stopped the event; `description` is for a developer and holds no event data. */
export interface StepDrop {
  reason: string;
  description: string;
}

export interface StepContext {
  readonly policy: TelemetryPolicy;
  /** Records one redaction by the running step. */
  redact(reason: string): void;
}

/**
 * One named step. It works on the pipeline's own copy of the event (`draft`), so it may replace
 * fields in place; it must not change objects it did not create (the copy is shallow one level
 * down: props, metrics, context and error are fresh objects, their values are primitives).
 */
export interface PrivacyStep {
  readonly name: string;
  /** Every reason this step can give, so counters can start at zero. */
  readonly reasons: readonly string[];
  run(draft: RawTelemetryEvent, context: StepContext): StepDrop | undefined;
}
