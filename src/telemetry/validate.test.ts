import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIsoTime, validateItem } from './validate.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const good = { id: '0190A8C2-7B1E-7CC0-9F00-3A1D2B4C5D6E', name: 'checkout.completed', ts: NOW - 1000 };

function rejection(item: unknown): { code: string; description: string } {
  const verdict = validateItem(item, NOW);
  assert.equal(verdict.ok, false, JSON.stringify(item).slice(0, 200));
  return verdict as { code: string; description: string };
}

describe('validateItem', () => {
  it('should accept a minimal event and lower-case its id', () => {
    const verdict = validateItem(good, NOW);
    assert.ok(verdict.ok);
    assert.equal(verdict.event.id, good.id.toLowerCase());
    assert.deepEqual(verdict.event.props, {});
  });

  it('should accept ISO 8601 times with a zone and refuse local or impossible ones', () => {
    assert.equal(parseIsoTime('2025-06-01T11:00:00.250+02:00'), Date.parse('2025-06-01T09:00:00.250Z'));
    assert.equal(parseIsoTime('2025-06-01T11:00:00'), undefined, 'no zone: ambiguous');
    assert.equal(parseIsoTime('2025-02-30T11:00:00Z'), undefined, 'no such day');
    assert.equal(parseIsoTime('yesterday'), undefined);
    assert.ok(validateItem({ ...good, ts: '2025-06-01T11:59:00Z' }, NOW).ok);
  });

  it('should refuse a time outside [now − 7 d, now + 5 min], and hint at seconds', () => {
    assert.equal(rejection({ ...good, ts: NOW - 8 * 86_400_000 }).code, 'TIMESTAMP_OUT_OF_RANGE_ITEM');
    assert.equal(rejection({ ...good, ts: NOW + 6 * 60_000 }).code, 'TIMESTAMP_OUT_OF_RANGE_ITEM');
    assert.match(rejection({ ...good, ts: Math.floor(NOW / 1000) }).description, /seconds/);
    assert.ok(validateItem({ ...good, ts: NOW + 4 * 60_000 }, NOW).ok);
  });

  it('should name the field that is wrong', () => {
    assert.match(rejection({ ...good, id: 'order-1' }).description, /^id is not valid: id must be a UUID/);
    assert.match(rejection({ ...good, name: 'Checkout' }).description, /name must match/);
    assert.match(rejection({ id: good.id, name: good.name }).description, /^Missing ts/);
    assert.match(rejection({ ...good, user_id: 'u1' }).description, /Unknown field "user_id"/);
    assert.match(rejection({ ...good, props: { nested: { a: 1 } } }).description, /^props\.nested is not valid/);
    assert.match(rejection({ ...good, props: { 'bad key': 1 } }).description, /props has a key "bad key"/);
    assert.match(rejection({ ...good, context: { app_version: '1.0 <script>' } }).description, /^context\.app_version is not valid/);
    assert.match(rejection({ ...good, metrics: { duration_ms: '12' } }).description, /^metrics\.duration_ms/);
    assert.match(rejection({ ...good, metrics: { duration_ms: 1e300 } }).description, /between -1e12 and 1e12/);
    assert.match(rejection({ ...good, error: { message: 'x' } }).description, /^Missing error|^error/);
    assert.equal(rejection('a string').code, 'INVALID_EVENT_ITEM');
    assert.equal(rejection(null).code, 'INVALID_EVENT_ITEM');
  });

  it('should enforce the limits on props, strings and size', () => {
    const props = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i]));
    assert.equal(rejection({ ...good, props }).code, 'INVALID_EVENT_ITEM');
    assert.equal(rejection({ ...good, props: { long: 'x'.repeat(257) } }).code, 'INVALID_EVENT_ITEM');
    assert.ok(validateItem({ ...good, props: { long: 'x'.repeat(256), n: 1.5, b: false } }, NOW).ok);
    assert.equal(rejection({ ...good, props: { nul: 'a\u0000b' } }).code, 'INVALID_EVENT_ITEM');
    const big = { ...good, props: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, '€'.repeat(200)])) };
    assert.equal(rejection(big).code, 'EVENT_TOO_LARGE_ITEM');
  });
});
