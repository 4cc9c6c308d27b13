import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPrivacyPipeline } from './index.js';

function urlStep(value: string): { value: unknown; message: unknown; reasons: string[] } {
  const outcome = runPrivacyPipeline({ name: 'page_view', props: { url: value }, metrics: {}, context: {}, error: { type: 'Error', message: value } }, {});
  assert.ok(outcome.kept);
  const reasons = outcome.redactions.filter((redaction) => redaction.step === 'url_values').map((redaction) => redaction.reason);
  // The same text in a prop and in error.message is trimmed the same way; report the prop's half.
  return { value: outcome.event.props['url'], message: outcome.event.error?.message, reasons: reasons.slice(0, reasons.length / 2) };
}

describe('url_values', () => {
  it('should keep scheme, host, port and path and drop every query parameter but utm_*', () => {
    const result = urlStep('https://shop.example.com:8443/search?q=jane+doe&utm_source=newsletter&page=2&utm_medium=email');
    assert.equal(result.value, 'https://shop.example.com:8443/search?utm_source=newsletter&utm_medium=email');
    assert.equal(result.message, result.value);
    assert.deepEqual(result.reasons, ['url_query']);
  });

  it('should drop the query marker when no utm_* parameter is left, and the fragment always', () => {
    assert.deepEqual(urlStep('https://app.example.com/reset?token=abc123#step-2'), {
      value: 'https://app.example.com/reset',
      message: 'https://app.example.com/reset',
      reasons: ['url_fragment', 'url_query'],
    });
    assert.deepEqual(urlStep('https://app.example.com/#access_token=xyz&state=1').value, 'https://app.example.com/');
  });

  it('should drop userinfo from the authority', () => {
    const result = urlStep('postgres://admin:s3cret@db.example.com:5432/app');
    assert.equal(result.value, 'postgres://db.example.com:5432/app');
    assert.deepEqual(result.reasons, ['url_userinfo']);
  });

  it('should trim relative, protocol-relative and scheme-less references, and a bare query', () => {
    assert.equal(urlStep('/checkout?email=jane@example.com&step=2').value, '/checkout');
    assert.equal(urlStep('//cdn.example.com/app.js?v=3').value, '//cdn.example.com/app.js');
    assert.equal(urlStep('www.example.com/pricing?ref=jane#plans').value, 'www.example.com/pricing');
    assert.equal(urlStep('?q=abc&utm_campaign=winter').value, '?utm_campaign=winter');
  });

  it('should trim URLs inside text and give back the punctuation around them', () => {
    assert.equal(urlStep('GET /api/users?id=42 failed.').value, 'GET /api/users failed.');
    assert.equal(urlStep('(see https://docs.example.com/a#b).').value, '(see https://docs.example.com/a).');
    assert.equal(urlStep('redirect to next=/account?session=abc, then retry').value, 'redirect to next=/account, then retry');
    assert.equal(
      urlStep('fetch https://a.example.com/x?k=1 and https://b.example.com/y?k=2').value,
      'fetch https://a.example.com/x and https://b.example.com/y',
    );
  });

  it('should leave URLs without query, fragment or userinfo, and text that only looks like one, untouched', () => {
    for (const value of [
      'https://www.example.com/pricing',
      'http://localhost:3000/cart',
      '/products/42',
      'Are you sure? Yes',
      'Issue #42 fixed',
      'C# and F#',
    ]) {
      assert.deepEqual(urlStep(value), { value, message: value, reasons: [] });
    }
  });

  it('should still scan what it keeps: an e-mail in a path, an address as host, a secret in a utm value', () => {
    const outcome = runPrivacyPipeline(
      {
        name: 'page_view',
        props: {
          a: 'https://app.example.com/users/jane@example.com/settings?tab=2',
          b: 'http://203.0.113.9/admin?debug=1',
          c: 'https://example.com/?utm_content=jane@example.com',
        },
        metrics: {},
        context: {},
      },
      {},
    );
    assert.ok(outcome.kept);
    assert.deepEqual(outcome.event.props, {
      a: 'https://app.example.com/users/[redacted:email]/settings',
      b: 'http://[redacted:ipv4]/admin',
      c: 'https://example.com/?utm_content=[redacted:email]',
    });
    assert.deepEqual(
      outcome.redactions.map((redaction) => `${redaction.step}:${redaction.reason}`),
      ['url_values:url_query', 'url_values:url_query', 'pattern_scrub:email', 'pattern_scrub:ipv4', 'pattern_scrub:email'],
    );
  });
});
