import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/http/json-body.js';
import { locateJsonSyntaxError } from '../../src/lib/json-syntax-error.js';
import { lineColumn } from '../../src/lib/line-column.js';

describe('parseJsonBody', () => {
  it.each([
    ['{"a": }', "unexpected '}' at line 1, column 7 (expected a value)"],
    ['{\n  "a": 1,\n  }', "a trailing comma before '}' at line 3, column 3"],
    ['[1,]', "a trailing comma before ']' at line 1, column 4"],
    ['{"a":1}x', "unexpected 'x' after the end of the JSON value at line 1, column 8"],
    ['{"a":"b', 'an unclosed string at line 1, column 6'],
    ['[1,2', "it ends early at line 1, column 5 (expected ',' or ']')"],
    ['{a:1}', "unexpected 'a' at line 1, column 2 (expected a property name in double quotes)"],
    ['{"a":tru}', "unexpected 'tru' at line 1, column 6 (expected a value)"],
    ['[undefined]', "unexpected 'undefined' at line 1, column 2 (expected a value)"],
    ['phone=0412345678&firstName=Ada', "unexpected 'phone' at line 1, column 1 (expected a value)"],
    ['"\\q"', 'a bad escape (a backslash before \'q\') inside a string at line 1, column 2 (escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)'],
    ['"\\u12"', "a '\\u' escape without four hex digits at line 1, column 2"],
    ['"a\u0001"', 'control character U+0001 inside a string at line 1, column 3 (write it as an escape such as \\n, or close the string before it)'],
    ['[01]', 'a number with a leading zero at line 1, column 2'],
    ['[1.]', "unexpected ']' after a decimal point at line 1, column 4 (expected a digit)"],
    ['[1e]', "unexpected ']' in an exponent at line 1, column 4 (expected a digit)"],
    ['\u00a0{}', 'unexpected U+00A0 at line 1, column 1 (expected a value)'],
    ['["😀", 😀]', "unexpected '😀' at line 1, column 7 (expected a value)"],
    ['["a"\r"b"]', "unexpected '\"' at line 2, column 1 (expected ',' or ']')"],
  ])('%j: %s', (text, message) => {
    expect(parseJsonBody(text)).toEqual({ ok: false, detail: `the body is not valid JSON: ${message}` });
  });

  it('ignores one byte-order mark and counts columns after it', () => {
    expect(parseJsonBody('\ufeff{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonBody('\ufeff{"a":}')).toEqual({ ok: false, detail: "the body is not valid JSON: unexpected '}' at line 1, column 6 (expected a value)" });
    expect(parseJsonBody('\ufeff\ufeff{}')).toEqual({ ok: false, detail: 'the body is not valid JSON: unexpected U+FEFF at line 1, column 1 (expected a value)' });
  });

  it('says a blank body is empty', () => {
    expect(parseJsonBody(' \r\n\t')).toEqual({ ok: false, detail: 'the body is empty; it must be JSON' });
  });

  it('locates an error after a deeply nested prefix without overflowing the stack', () => {
    const depth = 200_000;
    expect(parseJsonBody(`${'['.repeat(depth)}x`)).toEqual({ ok: false, detail: `the body is not valid JSON: unexpected 'x' at line 1, column ${depth + 1} (expected a value)` });
  });
});

describe('locateJsonSyntaxError', () => {
  // JSON-ish text: valid documents with one character inserted, deleted or replaced, and junk.
  const jsonText = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v, null, 2));
  const mutated = fc
    .tuple(jsonText, fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...'{}[],:"\\ \n\r\ttfn0-.eE1\u0000\u00a0\'x'.split('')))
    .map(([text, at, how, ch]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      return how === 'insert' ? text.slice(0, i) + ch + text.slice(i) : how === 'delete' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i + 1);
    });
  const anyText = fc.oneof(jsonText, mutated, fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));

  it('finds an error exactly when JSON.parse refuses the text, at a line and column inside it', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        const found = locateJsonSyntaxError(text);
        expect(found === undefined).toBe(parses);
        if (found) {
          expect(found.offset).toBeGreaterThanOrEqual(0);
          expect(found.offset).toBeLessThanOrEqual(text.length);
          expect({ line: found.line, column: found.column }).toEqual(lineColumn(text, found.offset));
          // a message never carries half a surrogate pair (it may end up stored or logged)
          expect(found.message).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        }
      }),
      { seed: 20261123, numRuns: 3000 },
    );
  });
});

describe('lineColumn', () => {
  it('counts \\n, \\r\\n and a lone \\r as line ends, and code points as columns', () => {
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab\r\ncd', 5)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab\rcd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('😀x', 2)).toEqual({ line: 1, column: 2 });
  });
});
