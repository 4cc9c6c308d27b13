import { isCardNumber } from '../detect/card.js';
import { keyInfo } from '../detect/key-names.js';
import { PATTERN_KINDS, marker } from '../detect/kinds.js';
import { scrubText } from '../detect/scrub.js';
import type { PrivacyStep, RawTelemetryEvent, StepContext } from '../types.js';
import { filterRecord } from './allow-list.js';

/** The schema's own rule for error.type (event-schema.ts), enforced again here: a type is a name, never a sentence. */
const ERROR_TYPE = /^[A-Za-z_$][A-Za-z0-9_.:$-]{0,127}$/;
const CONTEXT_FIELDS = ['app_version', 'deployment', 'platform', 'locale'] as const;

/**
 * The tripwire behind the structural steps (DESIGN §2 principle 4): every string the event
 * carries is scanned for e-mail addresses, phone numbers, IPv4/IPv6 addresses, card numbers,
 * JWTs and bearer secrets (detect/*.ts), and each finding becomes `[redacted:<kind>]`, one
 * redaction per occurrence with the kind as reason. Scanned: prop values (and integer prop
 * values that are card numbers), prop keys (a key holding a finding removes the prop),
 * context values, error.message and error.type. A type that is not an identifier becomes
 * `[redacted:error_type]`. Event names and metrics are not scanned: the schema makes the name
 * an identifier and metrics are numbers (their keys were checked by identifier_keys).
 */
export const patternScrub: PrivacyStep = {
  name: 'pattern_scrub',
  reasons: [...PATTERN_KINDS, 'error_type'],
  run(draft, context) {
    scrubProps(draft, context);
    scrubContext(draft, context);
    scrubError(draft, context);
    return undefined;
  },
};

const ignore = (): void => {};
const cleanKeys = new Map<string, boolean>();
const CACHE_LIMIT = 4096;

/** Keys repeat across events; whether one holds a finding is cached (bounded: keys are client-chosen). */
function isCleanKey(key: string): boolean {
  let clean = cleanKeys.get(key);
  if (clean === undefined) {
    clean = scrubText(key, ignore) === key;
    if (cleanKeys.size >= CACHE_LIMIT) cleanKeys.clear();
    cleanKeys.set(key, clean);
  }
  return clean;
}

function scrubProps(draft: RawTelemetryEvent, { redact }: StepContext): void {
  draft.props = filterRecord(draft.props, isCleanKey, (key) => scrubText(key, redact));
  const props = draft.props;
  for (const key of Object.keys(props)) {
    const value = props[key];
    if (typeof value === 'string') {
      const scrubbed = scrubText(value, redact, { version: keyInfo(key).version });
      if (scrubbed !== value) props[key] = scrubbed;
    } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1e12 && isCardNumber(String(value))) {
      redact('card_number');
      props[key] = marker('card_number');
    }
  }
}

function scrubContext(draft: RawTelemetryEvent, { redact }: StepContext): void {
  const context = draft.context;
  for (const field of CONTEXT_FIELDS) {
    const value = context[field];
    if (value !== undefined) context[field] = scrubText(value, redact, { version: field === 'app_version' });
  }
}

function scrubError(draft: RawTelemetryEvent, { redact }: StepContext): void {
  const error = draft.error;
  if (error === undefined) return;
  if (!ERROR_TYPE.test(error.type)) {
    redact('error_type');
    error.type = '[redacted:error_type]';
  } else {
    error.type = scrubText(error.type, redact);
  }
  if (error.message !== undefined) error.message = scrubText(error.message, redact);
}
