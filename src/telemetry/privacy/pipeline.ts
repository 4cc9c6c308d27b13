import { eventAllowList } from './steps/event-allow-list.js';
import { identifierKeys } from './steps/identifier-keys.js';
import { patternScrub } from './steps/pattern-scrub.js';
import { propAllowList } from './steps/prop-allow-list.js';
import { urlValues } from './steps/url-values.js';
import type { PrivacyOutcome, PrivacyStep, RawTelemetryEvent, TelemetryPolicy } from './types.js';

// The order matters: allow-lists first (cheapest, and what they drop needs no scanning), then
// keys (a removed prop needs no value scan), then URLs before patterns (a dropped query needs
// no scan, and what remains of a URL, its path, is scanned).
const STEPS: readonly PrivacyStep[] = [eventAllowList, propAllowList, identifierKeys, urlValues, patternScrub];

/** The step names, in order: labels for the /metrics counters. */
export const PRIVACY_STEPS: readonly string[] = Object.freeze(STEPS.map((step) => step.name));

/** Every reason each step can give, so that counters can be created at zero. */
export const PRIVACY_REASONS: Readonly<Record<string, readonly string[]>> = Object.freeze(Object.fromEntries(STEPS.map((step) => [step.name, step.reasons])));

/**
 * Runs an event through the privacy steps (privacy by structure: allow-lists first, patterns as a tripwire). The input is
 * never changed: the result holds a new event, or says which step dropped it and why.
 */
export function runPrivacyPipeline(event: RawTelemetryEvent, policy: TelemetryPolicy): PrivacyOutcome {
  const draft = copyEvent(event);
  const redactions: { step: string; reason: string }[] = [];
  let current = '';
  const context = { policy, redact: (reason: string): void => void redactions.push({ step: current, reason }) };
  for (const step of STEPS) {
    current = step.name;
    const drop = step.run(draft, context);
    if (drop !== undefined) return { kept: false, step: step.name, reason: drop.reason, description: drop.description };
  }
  return { kept: true, event: draft, redactions };
}

/** A copy steps may change: the event object and its four nested objects are new. Fields outside the type are carried over as they are. */
function copyEvent(event: RawTelemetryEvent): RawTelemetryEvent {
  const copy: RawTelemetryEvent = { ...event, props: { ...event.props }, metrics: { ...event.metrics }, context: { ...event.context } };
  if (event.error !== undefined) copy.error = { ...event.error };
  return copy;
}
