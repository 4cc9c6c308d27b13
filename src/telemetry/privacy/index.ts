/**
 * The telemetry privacy pipeline (docs/telemetry.md): named steps that drop an event or redact
 * parts of it, each with a stable snake_case reason for /metrics.
 */
export { PRIVACY_REASONS, PRIVACY_STEPS, runPrivacyPipeline } from './pipeline.js';
export type { PrivacyOutcome, RawTelemetryEvent, TelemetryPolicy } from './types.js';
