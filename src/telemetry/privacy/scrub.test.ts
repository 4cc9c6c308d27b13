import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPrivacyPipeline } from './index.js';

// Inputs built to make a backtracking regex explode: long runs of the characters each detector
// consumes, with the one character that makes the match fail at the very end. At the schema's
// largest string (error.message, 1024 characters) an exponential or cubic pattern would not
// finish within the test's timeout; the linear ones take microseconds. The timeout is a hang
// guard, not a performance assertion (throughput is measured outside the tests).
const LENGTH = 1024;
const fill = (unit: string, end = ''): string => unit.repeat(Math.ceil(LENGTH / unit.length)).slice(0, LENGTH - end.length) + end;

const ADVERSARIAL: Record<string, string> = {
  letters: fill('a', '!'),
  'local parts without a domain': fill('a.', '@'),
  'repeated at signs': fill('a@'),
  'domain labels without a top-level label': `a@${fill('a.', '1')}`,
  'hyphenated labels': `a@${fill('a-')}`,
  'url-encoded at signs': fill('%40a'),
  'dotted numbers': fill('1.'),
  octets: fill('255.'),
  colons: fill(':'),
  'hex groups': fill('ffff:'),
  'hex and dots': fill('1:1.'),
  digits: fill('1'),
  'spaced digits': fill('1 '),
  'dashed digits': fill('1-'),
  'trunk-prefixed groups': fill('01-'),
  'plus groups': fill('+1 '),
  'parenthesised digits': `+${fill('1 (')}`,
  'card groups': fill('4111 '),
  'JWT header without dots': `eyJ${fill('a')}`,
  'JWT header and empty parts': `eyJaaaaaaaaaa${fill('.a')}`,
  'secret keywords with prefixes': fill('password_', '='),
  'joined words before a colon': fill('a_', ':'),
  'qualifiers before a keyword': `${fill('max_')}token=1`,
  'auth schemes': fill('Bearer '),
  'private key header without end': `-----BEGIN PRIVATE KEY-----${fill('a')}`,
  'base64 runs': fill('aB3/'),
  'absolute URL': `https://${fill('a?#&')}`,
  'punctuation after a URL': `https://x.example.com/${fill('.', 'a')}`,
  'relative path': `/${fill('a/', '?')}`,
  'everything at once': fill('a1@b2.c3:d4+5 6-7(8)9/='),
};

describe('pattern_scrub on adversarial input', () => {
  it('should scan 1024-character adversarial strings in linear time', { timeout: 10_000 }, () => {
    for (const [label, text] of Object.entries(ADVERSARIAL)) {
      const outcome = runPrivacyPipeline(
        { name: 'adversarial', props: { value: text.slice(0, 256) }, metrics: {}, context: {}, error: { type: 'Error', message: text } },
        {},
      );
      assert.ok(outcome.kept, label);
      assert.equal(typeof outcome.event.error?.message, 'string', label);
    }
  });

  it('should still find what hides at the end of a long run', () => {
    const outcome = runPrivacyPipeline(
      {
        name: 'adversarial',
        props: {},
        metrics: {},
        context: {},
        error: { type: 'Error', message: `${'a.'.repeat(400)} jane@example.com ${'1 '.repeat(50)}+44 20 7946 0958` },
      },
      {},
    );
    assert.ok(outcome.kept);
    assert.ok(
      outcome.event.error?.message?.endsWith(
        ' [redacted:email] 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 [redacted:phone]',
      ),
    );
  });
});
