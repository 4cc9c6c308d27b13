import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRIVACY_REASONS, PRIVACY_STEPS, runPrivacyPipeline, type RawTelemetryEvent } from './index.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const event = (overrides: Partial<RawTelemetryEvent> = {}): RawTelemetryEvent => ({
  name: 'checkout_step_viewed',
  props: { step: 2, plan: 'premium', path: '/checkout/payment', is_mobile: false },
  metrics: { duration_ms: 123 },
  context: { app_version: '2.14.0', deployment: 'production', platform: 'web', locale: 'en-US' },
  ...overrides,
});

describe('runPrivacyPipeline', () => {
  it('should name its steps in order, with the reasons each can give', () => {
    assert.deepEqual(PRIVACY_STEPS, ['event_allow_list', 'prop_allow_list', 'identifier_keys', 'url_values', 'pattern_scrub']);
    assert.deepEqual(Object.keys(PRIVACY_REASONS), [...PRIVACY_STEPS]);
    assert.deepEqual(PRIVACY_REASONS['event_allow_list'], ['event_not_allowed']);
    assert.deepEqual(PRIVACY_REASONS['pattern_scrub'], ['email', 'phone', 'ipv4', 'ipv6', 'card_number', 'jwt', 'bearer_secret', 'error_type']);
    assert.throws(() => (PRIVACY_STEPS as string[]).push('x'));
  });

  it('should keep a clean event as an equal new object with no redactions', () => {
    const input = event();
    const outcome = runPrivacyPipeline(input, {});
    assert.deepEqual(outcome, { kept: true, event: input, redactions: [] });
    assert.ok(outcome.kept);
    assert.notEqual(outcome.event, input);
    assert.notEqual(outcome.event.props, input.props);
    assert.notEqual(outcome.event.context, input.context);
  });

  it('should never change its input, however much it redacts', () => {
    const input = deepFreeze(
      event({
        props: { email: 'jane@example.com', note: 'call +44 20 7946 0958', url: 'https://x.example.com/a?token=1#f', extra: 'dropped', card: 4111111111111111 },
        metrics: { phone: 1, duration_ms: 5 },
        context: { deployment: 'jane@example.com' },
        error: { type: 'not an identifier', message: 'for 203.0.113.9' },
      }),
    );
    const before = structuredClone(input);
    const outcome = runPrivacyPipeline(input, { allowedProps: ['email', 'note', 'url', 'card'] });
    assert.ok(outcome.kept);
    assert.deepEqual(input, before);
    assert.equal(outcome.event.error?.message, 'for [redacted:ipv4]');
  });

  it('should carry fields outside its type over unchanged', () => {
    const input = { ...event(), id: '01932c07-209c-7b0e-8f3a-5d2e6c1b9a47', ts: 1764139504123 };
    const outcome = runPrivacyPipeline(input, {});
    assert.ok(outcome.kept);
    assert.equal((outcome.event as typeof input).id, input.id);
    assert.equal((outcome.event as typeof input).ts, input.ts);
  });

  it('should keep a "__proto__" prop as an own property when it rebuilds props', () => {
    const props = JSON.parse('{"email":"x","__proto__":"kept"}') as Record<string, string>;
    const outcome = runPrivacyPipeline(event({ props }), {});
    assert.ok(outcome.kept);
    assert.deepEqual(Object.keys(outcome.event.props), ['__proto__']);
    assert.equal(Object.getPrototypeOf(outcome.event.props), Object.prototype);
  });
});

describe('event_allow_list', () => {
  it('should drop an event whose name is not allowed, with a typed reason and no event data but the name', () => {
    const outcome = runPrivacyPipeline(event({ props: { email: 'jane@example.com' } }), { allowedEvents: ['page_view'] });
    assert.deepEqual(outcome, {
      kept: false,
      step: 'event_allow_list',
      reason: 'event_not_allowed',
      description: 'The event name "checkout_step_viewed" is not in this client\'s allowed events.',
    });
  });

  it('should keep allowed events, allow everything without a list and nothing with an empty one', () => {
    assert.equal(runPrivacyPipeline(event(), { allowedEvents: ['page_view', 'checkout_step_viewed'] }).kept, true);
    assert.equal(runPrivacyPipeline(event(), {}).kept, true);
    assert.equal(runPrivacyPipeline(event(), { allowedEvents: [] }).kept, false);
  });

  it('should give the same answers with a long list', () => {
    const names = Array.from({ length: 40 }, (_, i) => `event_${i}`);
    assert.equal(runPrivacyPipeline(event(), { allowedEvents: names }).kept, false);
    assert.equal(runPrivacyPipeline(event(), { allowedEvents: [...names, 'checkout_step_viewed'] }).kept, true);
  });
});

describe('prop_allow_list', () => {
  it('should remove each prop not allowed, one redaction each, and keep the others in order', () => {
    const outcome = runPrivacyPipeline(event(), { allowedProps: ['plan', 'step'] });
    assert.ok(outcome.kept);
    assert.deepEqual(Object.entries(outcome.event.props), [
      ['step', 2],
      ['plan', 'premium'],
    ]);
    assert.deepEqual(outcome.redactions, [
      { step: 'prop_allow_list', reason: 'prop_not_allowed' },
      { step: 'prop_allow_list', reason: 'prop_not_allowed' },
    ]);
  });

  it('should remove every prop with an empty list and none without one', () => {
    const emptied = runPrivacyPipeline(event(), { allowedProps: [] });
    assert.ok(emptied.kept);
    assert.deepEqual(emptied.event.props, {});
    const untouched = runPrivacyPipeline(event(), { allowedEvents: ['checkout_step_viewed'] });
    assert.ok(untouched.kept);
    assert.deepEqual(untouched.event.props, event().props);
  });
});

describe('pattern_scrub outside prop values', () => {
  it('should scan context values but keep versions and ordinary values', () => {
    const outcome = runPrivacyPipeline(
      event({ context: { app_version: '10.0.0.1', deployment: 'jane@example.com', platform: 'iOS 17.4.1', locale: 'en-GB' } }),
      {},
    );
    assert.ok(outcome.kept);
    assert.deepEqual(outcome.event.context, { app_version: '10.0.0.1', deployment: '[redacted:email]', platform: 'iOS 17.4.1', locale: 'en-GB' });
    assert.deepEqual(outcome.redactions, [{ step: 'pattern_scrub', reason: 'email' }]);
  });

  it('should replace an error type that is not an identifier and scan one that is', () => {
    const sentence = runPrivacyPipeline(event({ error: { type: 'Failed for jane@example.com', message: 'TypeError: x is undefined' } }), {});
    assert.ok(sentence.kept);
    assert.deepEqual(sentence.event.error, { type: '[redacted:error_type]', message: 'TypeError: x is undefined' });
    assert.deepEqual(sentence.redactions, [{ step: 'pattern_scrub', reason: 'error_type' }]);

    const key = runPrivacyPipeline(event({ error: { type: 'AKIAIOSFODNN7EXAMPLE' } }), {});
    assert.ok(key.kept);
    assert.deepEqual(key.event.error, { type: '[redacted:bearer_secret]' });

    const plain = runPrivacyPipeline(event({ error: { type: 'java.lang.NullPointerException' } }), {});
    assert.ok(plain.kept);
    assert.deepEqual(plain.event.error, { type: 'java.lang.NullPointerException' });
  });

  it('should replace an integer prop that is a card number, and leave other numbers', () => {
    const outcome = runPrivacyPipeline(event({ props: { value: 4111111111111111, ts: 1764139504123, amount: 4242.42 } }), {});
    assert.ok(outcome.kept);
    assert.deepEqual(outcome.event.props, { value: '[redacted:card_number]', ts: 1764139504123, amount: 4242.42 });
    assert.deepEqual(outcome.redactions, [{ step: 'pattern_scrub', reason: 'card_number' }]);
  });

  it('should remove a prop whose key itself holds a finding', () => {
    const outcome = runPrivacyPipeline(event({ props: { ref_4111111111111111: 'x', plan: 'pro' } }), {});
    assert.ok(outcome.kept);
    assert.deepEqual(outcome.event.props, { plan: 'pro' });
    assert.deepEqual(outcome.redactions, [{ step: 'pattern_scrub', reason: 'card_number' }]);
  });

  it('should count one redaction per occurrence', () => {
    const outcome = runPrivacyPipeline(event({ props: { note: 'a@example.com, b@example.com and c@example.org' } }), {});
    assert.ok(outcome.kept);
    assert.equal(outcome.event.props['note'], '[redacted:email], [redacted:email] and [redacted:email]');
    assert.equal(outcome.redactions.length, 3);
  });
});
