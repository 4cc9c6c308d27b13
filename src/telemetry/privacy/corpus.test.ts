import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOOKALIKES, POSITIVES, VERSION_FIELD_VALUES } from './corpus.js';
import { runPrivacyPipeline } from './index.js';
import type { RawTelemetryEvent } from './types.js';

/** Puts `text` where free text reaches the pipeline: a prop value and error.message. */
function scrub(text: string): { prop: unknown; message: unknown; reasons: string[] } {
  const event: RawTelemetryEvent = { name: 'corpus', props: { value: text }, metrics: {}, context: {}, error: { type: 'Error', message: text } };
  const outcome = runPrivacyPipeline(event, {});
  assert.ok(outcome.kept);
  return {
    prop: outcome.event.props['value'],
    message: outcome.event.error?.message,
    reasons: outcome.redactions.filter((redaction) => redaction.step === 'pattern_scrub').map((redaction) => redaction.reason),
  };
}

const sorted = (values: readonly string[]): string[] => [...values].sort();

describe('the detection corpus', () => {
  it('should hold at least 200 strings, true positives of every kind and look-alikes', () => {
    assert.ok(POSITIVES.length + LOOKALIKES.length + VERSION_FIELD_VALUES.length >= 200, `${POSITIVES.length + LOOKALIKES.length} strings`);
    const kinds = new Set(POSITIVES.flatMap((positive) => positive.kinds));
    assert.deepEqual(sorted([...kinds]), sorted(['email', 'phone', 'ipv4', 'ipv6', 'card_number', 'jwt', 'bearer_secret']));
    assert.ok(LOOKALIKES.length >= 100);
  });

  it('should redact every true positive, in prop values and in error messages, and report each occurrence', () => {
    const failures: string[] = [];
    for (const { text, out, kinds } of POSITIVES) {
      const result = scrub(text);
      if (result.prop !== out || result.message !== out)
        failures.push(`${JSON.stringify(text)} → ${JSON.stringify(result.prop)}, expected ${JSON.stringify(out)}`);
      else if (JSON.stringify(sorted(result.reasons)) !== JSON.stringify(sorted([...kinds, ...kinds])))
        failures.push(`${JSON.stringify(text)} reported ${result.reasons.join(',')}`);
    }
    assert.deepEqual(failures, [], `false negatives:\n${failures.join('\n')}`);
  });

  it('should leave every look-alike untouched and report nothing', () => {
    const failures: string[] = [];
    for (const text of LOOKALIKES) {
      const result = scrub(text);
      if (result.prop !== text || result.message !== text || result.reasons.length > 0)
        failures.push(`${JSON.stringify(text)} → ${JSON.stringify(result.prop)} (${result.reasons.join(',')})`);
    }
    assert.deepEqual(failures, [], `false positives:\n${failures.join('\n')}`);
  });

  it('should keep four-part versions in version fields and redact them as addresses in free text', () => {
    for (const version of VERSION_FIELD_VALUES) {
      const event: RawTelemetryEvent = {
        name: 'corpus',
        props: { os_version: version, sdkVersion: version, note: version },
        metrics: {},
        context: { app_version: version },
      };
      const outcome = runPrivacyPipeline(event, {});
      assert.ok(outcome.kept);
      assert.equal(outcome.event.context.app_version, version);
      assert.equal(outcome.event.props['os_version'], version);
      assert.equal(outcome.event.props['sdkVersion'], version);
      assert.equal(outcome.event.props['note'], '[redacted:ipv4]');
    }
  });
});
