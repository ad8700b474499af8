import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { BASIC_RULES } from '../support/test-app.js';

const basic = await readFile(`${BASIC_RULES}/dialer.yaml`, 'utf8');
const compile = (text: string) => compileRuleSet([{ path: 'dialer.yaml', text }]);
const CRITERIA = /criteria:\n(?: {2}- .*\n)+/;
const withCriteria = (lines: string) => basic.replace(CRITERIA, `criteria:\n${lines}\n`);

describe('dialer.yaml criteria (Convoso criteria keys)', () => {
  it('compiles each key to its allocation and checks', () => {
    const result = compile(basic);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const sales = result.rules.dialer.criteria.get('sales_leads');
    expect(sales && { key: sales.key, allocation: sales.allocation.id, checkDup: sales.checkDup, checkDupArchive: sales.checkDupArchive }).toEqual({
      key: 'sales_leads',
      allocation: 100,
      checkDup: 3,
      checkDupArchive: false,
    });
    expect(result.rules.dialer.criteria.get('list_archive')?.checkDupArchive).toBe(true);
  });

  it('is optional', () => {
    const result = compile(basic.replace(CRITERIA, ''));
    expect(result.ok && result.rules.dialer.criteria.size).toBe(0);
  });

  it.each([
    ['an unknown allocation', '  - { key: k, allocationId: 999 }', 'criteria[0].allocationId', 'names no allocation: 999'],
    ['a repeated key', '  - { key: k, allocationId: 100 }\n  - { key: k, allocationId: 101 }', 'criteria[1].key', "duplicate criteria key 'k'"],
    ['check_dup 5', '  - { key: k, allocationId: 100, checkDup: 5 }', 'criteria[0].checkDup', 'Too big: expected number to be <=4'],
    ['checkDnc false, which cannot be honoured', '  - { key: k, allocationId: 100, checkDnc: false }', 'criteria[0].checkDnc', 'the DNC list is always checked; leave checkDnc out or set it true'],
    ['an unknown key', '  - { key: k, allocationId: 100, list: 3 }', 'criteria[0]', 'Unrecognized key: "list"'],
  ])('refuses %s, naming file, path and problem', (_name, lines, path, message) => {
    const result = compile(withCriteria(lines));
    expect(result.ok ? [] : result.errors).toContainEqual({ file: 'dialer.yaml', path, message });
  });
});
