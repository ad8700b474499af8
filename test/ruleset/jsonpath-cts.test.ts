import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compileJsonPath } from '../../src/ruleset/jsonpath/compile.js';

interface CtsCase {
  name: string;
  selector: string;
  document?: unknown;
  result?: unknown[];
  results?: unknown[][];
  invalid_selector?: boolean;
}

const fixture = new URL('../fixtures/jsonpath-cts/cts.json', import.meta.url);
const shared = new URL('../../../shared/data/jsonpath-cts/cts.json', import.meta.url);
const suite = JSON.parse(readFileSync(fixture, 'utf8')) as { tests: CtsCase[] };

/** match() and search() are the only valid RFC 9535 constructs that keys refuse. */
const REGEX_FUNCTION = /\b(?:match|search)\(/;

const counts = { answered: 0, rejectedAsUnsupported: 0, invalidRejected: 0, different: 0 };

describe('RFC 9535 compliance suite', () => {
  afterAll(() => {
    console.log(
      `jsonpath CTS: ${counts.answered} answered, ${counts.rejectedAsUnsupported} rejected as unsupported, ` +
        `${counts.invalidRejected} invalid selectors rejected, ${counts.different} different answers ` +
        `(of ${suite.tests.length})`,
    );
  });

  for (const t of suite.tests) {
    it(t.name, () => {
      const compiled = compileJsonPath(t.selector);
      if (t.invalid_selector) {
        expect(compiled.ok).toBe(false);
        counts.invalidRejected++;
        return;
      }
      if (!compiled.ok) {
        expect(t.selector).toMatch(REGEX_FUNCTION);
        expect(compiled.message).toMatch(/^the filter function (match|search)\(\) is not supported in keys/);
        counts.rejectedAsUnsupported++;
        return;
      }
      const values = compiled.path.values(t.document);
      const expected = t.results ?? [t.result];
      if (!expected.some((e) => isDeepStrictEqual(values, e))) counts.different++;
      if (t.results) expect(t.results).toContainEqual(values);
      else expect(values).toStrictEqual(t.result);
      counts.answered++;
    });
  }

  it('answers every valid case that does not call match() or search()', () => {
    const valid = suite.tests.filter((t) => !t.invalid_selector);
    const answerable = valid.filter((t) => !REGEX_FUNCTION.test(t.selector));
    const answered = answerable.filter((t) => compileJsonPath(t.selector).ok);
    expect(answered.length).toBe(answerable.length);
    expect(answerable.length).toBeGreaterThanOrEqual(400);
    expect(answerable.filter((t) => !t.selector.includes('?')).length).toBeGreaterThanOrEqual(160);
  });

  it.runIf(existsSync(shared))('the in-repo copy equals shared/data/jsonpath-cts/cts.json', () => {
    expect(readFileSync(fixture, 'utf8')).toBe(readFileSync(shared, 'utf8'));
  });
});
