import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrayLiteral } from './pg-array.js';

describe('arrayLiteral', () => {
  it('should quote strings, escape quotes, and write nulls unquoted', () => {
    assert.equal(arrayLiteral(['a', 'b"c', '', 'NULL', null, '{x}, y']), '{"a","b\\"c","","NULL",null,"{x}, y"}');
  });

  it('should escape a backslash', () => {
    assert.equal(arrayLiteral(['d\\e', 'f\\']), '{"d\\\\e","f\\\\"}');
  });

  it('should write numbers bare', () => {
    assert.equal(arrayLiteral([1_717_243_205_000, 0, -3, null]), '{1717243205000,0,-3,null}');
  });

  it('should write control characters as themselves, which JSON would escape', () => {
    // PostgreSQL reads \n in an array literal as n: the newline must go as it is.
    assert.equal(arrayLiteral(['line\nbreak', 'tab\there', null]), '{"line\nbreak","tab\there",NULL}');
  });

  it('should keep an escaped backslash before a letter as two characters', () => {
    assert.equal(arrayLiteral(['{"path":"C:\\\\new"}']), '{"{\\"path\\":\\"C:\\\\\\\\new\\"}"}');
  });

  it('should pass characters outside the BMP through', () => {
    assert.equal(arrayLiteral(['ü 😀']), '{"ü 😀"}');
  });
});
