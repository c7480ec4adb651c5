import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { visible, visibleLine } from './format.ts';

describe('visible', () => {
  it('writes terminal controls as escapes and keeps ordinary text, tabs and non-Latin letters', () => {
    assert.equal(visible('\x1b[2J\x1b[Hcleared'), '\\x1b[2J\\x1b[Hcleared');
    assert.equal(visible('a\rb\0c\x07d\x7fe\x9bf'), 'a\\rb\\0c\\x07d\\x7fe\\x9bf');
    assert.equal(visible('abc\u202edcba'), 'abc\\u202edcba');
    assert.equal(visible('tab\there, café, 日本, emoji 🙂'), 'tab\there, café, 日本, emoji 🙂');
  });

  it('indents every line after the first, so none passes for a line of its own', () => {
    assert.equal(visible('first\n2026-01-01 00:00:00Z INFO  other', '    | '), 'first\n    | 2026-01-01 00:00:00Z INFO  other');
    assert.equal(visible('a\r\nb', '  '), 'a\\r\n  b');
  });

  it('visibleLine keeps a cell on one line', () => {
    assert.equal(visibleLine('a\nb\x1bc'), 'a\\nb\\x1bc');
  });
});
