import { describe, expect, it } from 'vitest';
import { compileDuplicateCheck } from '../../src/ruleset/duplicate-check/compile.js';
import { evaluateTable, explainTable } from '../../src/ruleset/duplicate-check/evaluate.js';
import { SUBJECT_CAP } from '../../src/ruleset/duplicate-check/safe-regex.js';
import { formatRuleErrors } from '../../src/ruleset/rule-error.js';

function table(rows: Record<string, unknown>[]) {
  const result = compileDuplicateCheck(
    {
      version: 1,
      enabled: true,
      connect: 'acme-crm',
      rows: rows.map((r) => ({ createLead: false, success: false, ...r })),
      noMatch: { createLead: true, success: true },
      onError: { reject: true },
    },
    'duplicate-check.yaml',
  );
  if (!result.ok) throw new Error(formatRuleErrors(result.errors));
  return result.table;
}

/** Whether a one-row table with this key, op and value matches the answer. */
function hit(key: string, op: string, value: unknown, answer: unknown): boolean {
  return evaluateTable(table([{ key, op, ...(value === undefined ? {} : { value }) }]), answer).source === 'row';
}

describe('duplicate-check ops', () => {
  it.each<[string, unknown, unknown, boolean]>([
    // equals: trimmed, case-insensitive, numbers and booleans by their JSON text
    ['equals', 'active', ' Active ', true],
    ['equals', 'active', 'inactive', false],
    ['equals', ' ACTIVE ', 'active', true],
    ['equals', 'true', true, true],
    ['equals', true, 'TRUE', true],
    ['equals', false, false, true],
    ['equals', 1.5, 1.5, true],
    ['equals', '1.5', 1.5, true],
    ['equals', 1.5, '1.5', true],
    ['equals', '1.50', 1.5, false],
    ['equals', 1.5, 1.5, true],
    ['equals', 100, 1e2, true],
    ['equals', 'null', null, true],
    ['equals', 'x', { x: 'x' }, false],
    ['equals', '', [], false],
    ['equals', '', '   ', true],
    // notEquals: none equal
    ['notEquals', 'active', 'inactive', true],
    ['notEquals', 'active', 'ACTIVE', false],
    ['notEquals', 'null', null, false],
    ['notEquals', 'x', { x: 'x' }, true],
    // in
    ['in', ['gold', 'silver'], 'Silver ', true],
    ['in', ['gold', 'silver'], 'bronze', false],
    ['in', [1, true], 1, true],
    ['in', [1, true], 'true', true],
    ['in', [1, true], '1.0', false],
    ['in', ['x'], ['x'], false],
    // contains: substring of the text form
    ['contains', 'vip', 'Gold VIP customer', true],
    ['contains', 'vip', 'gold', false],
    ['contains', 5, 1.55, true],
    ['contains', 'ul', null, true],
    ['contains', 'vip', { vip: true }, false],
    // regex: case-insensitive search on the trimmed text
    ['regex', '^gold|^silver', 'Silver Member', true],
    ['regex', '^gold|^silver', 'a gold member', false],
    ['regex', '^\\d{4}$', 1234, true],
    ['regex', '^\\d{4}$', '  1234  ', true],
    ['regex', '^null$', null, true],
    ['regex', '^true$', true, true],
    ['regex', 'x', ['x'], false],
    ['regex', '^ÉCOLE$', 'école', true],
    // exists / notExists: presence of a node, whatever its value
    ['exists', undefined, 'x', true],
    ['exists', undefined, null, true],
    ['exists', undefined, {}, true],
    ['exists', undefined, [], true],
    ['exists', undefined, '', true],
    ['notExists', undefined, null, false],
    ['notExists', undefined, 'x', false],
    // numeric: JSON numbers and plain decimal strings only
    ['gt', 10, 11, true],
    ['gt', 10, 10, false],
    ['gt', 10, '11', true],
    ['gt', 10, ' 11 ', true],
    ['gt', 10, '11 kg', false],
    ['gt', 10, '1e3', false],
    ['gt', 10, '0x10', false],
    ['gt', 10, '', false],
    ['gt', 0, true, false],
    ['gt', -1, null, false],
    ['gt', 10, [11], false],
    ['gt', 10, { n: 11 }, false],
    ['gt', '10', 10.5, true],
    ['gte', 10, 10, true],
    ['gte', 10, '9.99', false],
    ['lt', '5', 4.5, true],
    ['lt', 5, 5, false],
    ['lt', 0, '-0.5', true],
    ['lte', -1.5, -1.5, true],
    ['lte', -1.5, '007', false],
    ['gte', 7, '007', true],
  ])('%s %j against %j: %s', (op, value, found, expected) => {
    expect(hit('$.v', op, value, { v: found })).toBe(expected);
  });

  it.each<[string, unknown, boolean]>([
    ['equals', 'x', false],
    ['notEquals', 'x', true],
    ['in', ['x'], false],
    ['contains', 'x', false],
    ['regex', '.?', false],
    ['exists', undefined, false],
    ['notExists', undefined, true],
    ['gt', 0, false],
    ['lte', 0, false],
  ])('%s on a missing key: %s', (op, value, expected) => {
    expect(hit('$.v', op, value, { other: 'x' })).toBe(expected);
    expect(hit('$.v', op, value, 'not an object')).toBe(expected);
  });

  // equals, in, contains, regex and the numeric ops need ANY value; notEquals and notExists NONE.
  it.each<[string, unknown, unknown[], boolean]>([
    ['equals', 'b', ['a', 'B'], true],
    ['equals', 'c', ['a', 'b'], false],
    ['notEquals', 'b', ['a', 'b'], false],
    ['notEquals', 'c', ['a', 'b'], true],
    ['notEquals', 'c', [], true],
    ['in', ['b', 'z'], ['a', 'b'], true],
    ['contains', 'ol', ['silver', 'gold'], true],
    ['regex', '^g', ['silver', 'gold'], true],
    ['gt', 10, [1, 'x', 20], true],
    ['gt', 10, [1, 'x', 2], false],
    ['exists', undefined, [], false],
    ['exists', undefined, [null], true],
    ['notExists', undefined, [], true],
    ['notExists', undefined, [null], false],
  ])('%s %j over the nodelist %j: %s', (op, value, list, expected) => {
    expect(hit('$.list[*]', op, value, { list })).toBe(expected);
  });

  it('matches a regex only within the first SUBJECT_CAP characters', () => {
    const long = `${'a'.repeat(SUBJECT_CAP)}needle`;
    expect(hit('$.v', 'regex', 'needle', { v: long })).toBe(false);
    expect(hit('$.v', 'regex', 'needle', { v: long.slice(6) })).toBe(true);
    expect(hit('$.v', 'contains', 'needle', { v: long })).toBe(true);
  });

  it('keeps an accepted regex fast on a hostile value', () => {
    const t = table([
      { key: '$.v', op: 'regex', value: '[a-z]+@acme\\.com' },
      { key: '$.v', op: 'regex', value: '^a*a*b' },
    ]);
    const started = performance.now();
    expect(explainTable(t, { v: 'a'.repeat(100_000) }).rows.map((r) => r.matched)).toStrictEqual([false, false]);
    expect(performance.now() - started).toBeLessThan(250);
  });
});
