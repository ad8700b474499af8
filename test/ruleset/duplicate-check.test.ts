import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileDuplicateCheck, type CompiledTable } from '../../src/ruleset/duplicate-check/compile.js';
import { evaluateTable, explainTable, onErrorDecision } from '../../src/ruleset/duplicate-check/evaluate.js';
import { compileSafeRegex } from '../../src/ruleset/duplicate-check/safe-regex.js';
import { formatRuleErrors, type RuleError } from '../../src/ruleset/rule-error.js';

const FILE = 'duplicate-check.yaml';

function file(rows: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    enabled: true,
    connect: 'acme-crm',
    rows,
    noMatch: { createLead: true, success: true },
    onError: { createLead: true, status: 'CRM_ERROR', success: true },
    ...extra,
  };
}

function compile(raw: unknown): CompiledTable {
  const result = compileDuplicateCheck(raw, FILE);
  if (!result.ok) throw new Error(formatRuleErrors(result.errors));
  return result.table;
}

function errorsOf(raw: unknown): RuleError[] {
  const result = compileDuplicateCheck(raw, FILE);
  if (result.ok) throw new Error('expected the file to be rejected');
  return result.errors;
}

function row(key: string, op: string, value?: unknown): Record<string, unknown> {
  return { key, op, ...(value === undefined ? {} : { value }), createLead: false, success: false };
}

describe('duplicate-check decisions', () => {
  const yaml = `
version: 1
enabled: true
connect: acme-crm
appliesTo: [noojee, convoso, hooks]
rows:
  - key: $.customer.status
    value: active
    createLead: false
    addToDnc: false
    success: false
    reason: existing customer
  - key: $.flags.doNotCall
    op: equals
    value: "true"
    createLead: true
    status: DNC
    addToDnc: true
    success: true
noMatch: { createLead: true, success: true }
onError: { createLead: true, status: CRM_ERROR, success: true }
`;
  const table = compile(parse(yaml));

  it('compiles the SPEC example', () => {
    expect(table.enabled).toBe(true);
    expect(table.connect).toBe('acme-crm');
    expect(table.appliesTo).toStrictEqual(['noojee', 'convoso', 'hooks']);
    expect(table.rows.map((r) => [r.index, r.key, r.op, r.path.engine])).toStrictEqual([
      [0, '$.customer.status', 'equals', 'direct'],
      [1, '$.flags.doNotCall', 'equals', 'direct'],
    ]);
  });

  it('lets the first matching row decide', () => {
    const answer = { customer: { status: ' ACTIVE ' }, flags: { doNotCall: true } };
    expect(evaluateTable(table, answer)).toStrictEqual({
      source: 'row',
      rowIndex: 0,
      key: '$.customer.status',
      values: [' ACTIVE '],
      createLead: false,
      addToDnc: false,
      success: false,
      reason: 'existing customer',
    });
    expect(evaluateTable(table, { customer: { status: 'gone' }, flags: { doNotCall: true } })).toStrictEqual({
      source: 'row',
      rowIndex: 1,
      key: '$.flags.doNotCall',
      values: [true],
      createLead: true,
      status: 'DNC',
      addToDnc: true,
      success: true,
    });
  });

  it('falls back to noMatch', () => {
    expect(evaluateTable(table, {})).toStrictEqual({ source: 'noMatch', createLead: true, addToDnc: false, success: true });
    expect(evaluateTable(table, null)).toStrictEqual({ source: 'noMatch', createLead: true, addToDnc: false, success: true });
  });

  it('explains every row, also after the first match', () => {
    const answer = { customer: { status: 'active' }, flags: { doNotCall: 'TRUE' } };
    expect(explainTable(table, answer)).toStrictEqual({
      decision: evaluateTable(table, answer),
      rows: [
        { index: 0, key: '$.customer.status', values: ['active'], matched: true },
        { index: 1, key: '$.flags.doNotCall', values: ['TRUE'], matched: true },
      ],
    });
    expect(explainTable(table, {})).toStrictEqual({
      decision: { source: 'noMatch', createLead: true, addToDnc: false, success: true },
      rows: [
        { index: 0, key: '$.customer.status', values: [], matched: false },
        { index: 1, key: '$.flags.doNotCall', values: [], matched: false },
      ],
    });
  });

  it('gives the onError outcome, or a rejection', () => {
    expect(onErrorDecision(table)).toStrictEqual({
      source: 'onError',
      createLead: true,
      status: 'CRM_ERROR',
      addToDnc: false,
      success: true,
    });
    const rejecting = compile(file([], { onError: { reject: true } }));
    expect(onErrorDecision(rejecting)).toStrictEqual({ source: 'onError', reject: true });
  });

  it('applies the defaults', () => {
    const t = compile({ ...file([{ key: '$.a', value: 1, createLead: false, success: false }]), appliesTo: undefined });
    expect(t.appliesTo).toStrictEqual(['noojee', 'convoso', 'hooks']);
    expect(t.rows[0]!.op).toBe('equals');
    expect(t.rows[0]!.outcome).toStrictEqual({
      createLead: false,
      status: undefined,
      addToDnc: false,
      success: false,
      reason: undefined,
    });
    expect(compile(file([])).rows).toStrictEqual([]);
  });

  it('evaluates keys of every shape', () => {
    const answer = { contacts: [{ type: 'mobile', phone: '0400' }, { type: 'home', phone: '0399' }], n: { deep: { id: 7 } } };
    const t = compile(
      file([
        row("$.contacts[?@.type == 'home'].phone", 'equals', '0399'),
        row('$..id', 'gte', 7),
        row('$.contacts[-1].type', 'equals', 'home'),
      ]),
    );
    expect(explainTable(t, answer).rows).toStrictEqual([
      { index: 0, key: "$.contacts[?@.type == 'home'].phone", values: ['0399'], matched: true },
      { index: 1, key: '$..id', values: [7], matched: true },
      { index: 2, key: '$.contacts[-1].type', values: ['home'], matched: true },
    ]);
  });
});

describe('duplicate-check load errors', () => {
  it.each<[string, Record<string, unknown>, RuleError[]]>([
    ['exists with a value', row('$.a', 'exists', 'x'), [{ file: FILE, path: 'rows[0].value', message: 'op exists takes no value' }]],
    ['notExists with a value', row('$.a', 'notExists', false), [{ file: FILE, path: 'rows[0].value', message: 'op notExists takes no value' }]],
    ['in without a list', row('$.a', 'in', 'gold'), [{ file: FILE, path: 'rows[0].value', message: 'op in needs a non-empty list of values' }]],
    ['in with an empty list', row('$.a', 'in', []), [{ file: FILE, path: 'rows[0].value', message: 'op in needs a non-empty list of values' }]],
    [
      'in with a null',
      row('$.a', 'in', ['a', null]),
      [{ file: FILE, path: 'rows[0].value', message: 'every value of the list must be a string, number or boolean (write "null" in quotes to match a JSON null)' }],
    ],
    ['regex without a pattern', row('$.a', 'regex', 5), [{ file: FILE, path: 'rows[0].value', message: 'op regex needs a pattern string' }]],
    ['gt with a word', row('$.a', 'gt', 'ten'), [{ file: FILE, path: 'rows[0].value', message: 'op gt needs a number' }]],
    ['lte without a value', row('$.a', 'lte'), [{ file: FILE, path: 'rows[0].value', message: 'op lte needs a number' }]],
    ['equals without a value', row('$.a', 'equals'), [{ file: FILE, path: 'rows[0].value', message: 'op equals needs a value' }]],
    [
      'equals null',
      row('$.a', 'equals', null),
      [{ file: FILE, path: 'rows[0].value', message: 'value must be a string, number or boolean (write "null" in quotes to match a JSON null)' }],
    ],
    [
      'equals a list',
      row('$.a', 'equals', ['a']),
      [{ file: FILE, path: 'rows[0].value', message: 'value must be a string, number or boolean (write "null" in quotes to match a JSON null)' }],
    ],
    ['contains an empty string', row('$.a', 'contains', ''), [{ file: FILE, path: 'rows[0].value', message: 'op contains needs a non-empty value' }]],
    [
      'an unknown op',
      row('$.a', 'startsWith', 'x'),
      [
        {
          file: FILE,
          path: 'rows[0].op',
          message:
            'Invalid option: expected one of "equals"|"notEquals"|"in"|"contains"|"regex"|"exists"|"notExists"|"gt"|"gte"|"lt"|"lte"',
        },
      ],
    ],
    [
      'a typo in a field name',
      { key: '$.a', value: 'x', createlead: false, success: false },
      [
        { file: FILE, path: 'rows[0].createLead', message: 'Invalid input: expected boolean, received undefined' },
        { file: FILE, path: 'rows[0]', message: 'Unrecognized key: "createlead"' },
      ],
    ],
    [
      'a bad key',
      row('$.customer.', 'exists'),
      [{ file: FILE, path: 'rows[0].key', message: 'JSONPath "$.customer.": expected a member name or "*" after "." but found end of query (at character 12)' }],
    ],
    [
      'a key without $',
      row('customer.status', 'exists'),
      [{ file: FILE, path: 'rows[0].key', message: 'JSONPath "customer.status": a query must start with "$" (at character 1)' }],
    ],
    [
      'a key calling match()',
      row("$[?match(@.a, 'x')]", 'exists'),
      [
        {
          file: FILE,
          path: 'rows[0].key',
          message: `JSONPath "$[?match(@.a, 'x')]": the filter function match() is not supported in keys (use a row with op: regex instead)`,
        },
      ],
    ],
  ])('%s', (_name, badRow, errors) => {
    expect(errorsOf(file([badRow]))).toStrictEqual(errors);
  });

  it.each([
    ['(a+)+', 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)'],
    ['(a*)*$', 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)'],
    ['^(a|aa)+$', 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)'],
    ['(x+x+)+y', 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)'],
    ['(a)\\1', 'regex backreferences (\\1, \\k<name>) are not supported'],
    ['(?<q>a)\\k<q>', 'regex backreferences (\\1, \\k<name>) are not supported'],
    ['(?<=a)b', 'regex lookahead and lookbehind are not supported'],
    ['a(?!b)', 'regex lookahead and lookbehind are not supported'],
    ['a*a*b', 'regex could backtrack too much: anchor it with ^, drop leading or trailing .*, or use fewer *, + and {n,} repetitions'],
    ['.*vip.*', 'regex could backtrack too much: anchor it with ^, drop leading or trailing .*, or use fewer *, + and {n,} repetitions'],
    ['(a|b){30}', 'regex could backtrack too much: anchor it with ^, drop leading or trailing .*, or use fewer *, + and {n,} repetitions'],
    ['x'.repeat(201), 'regex is longer than 200 characters'],
    ['[a-', 'invalid regex: Unterminated character class'],
    ['a{2', 'invalid regex: Incomplete quantifier'],
  ])('refuses the regex %s', (pattern, message) => {
    expect(errorsOf(file([row('$.a', 'regex', pattern)]))).toStrictEqual([{ file: FILE, path: 'rows[0].value', message }]);
  });

  it.each(['vip', '^(gold|silver|platinum)$', '^\\s*active\\s*$', '^.*vip.*$', '(\\d{3}-)+', '(a|b)?c', '[a-z]+@acme\\.com', '\\p{Lu}+', '^(?:\\+?61|0)4\\d{8}$'])(
    'accepts the regex %s',
    (pattern) => {
      expect(compileSafeRegex(pattern).ok).toBe(true);
    },
  );

  it.each<[string, Record<string, unknown>, RuleError[]]>([
    ['version 2', file([], { version: 2 }), [{ file: FILE, path: 'version', message: 'Invalid input: expected 1' }]],
    [
      'an unknown entry point',
      file([], { appliesTo: ['noojee', 'web'] }),
      [{ file: FILE, path: 'appliesTo[1]', message: 'Invalid option: expected one of "noojee"|"convoso"|"hooks"' }],
    ],
    ['no noMatch', file([], { noMatch: undefined }), [{ file: FILE, path: 'noMatch', message: 'Invalid input: expected object, received undefined' }]],
    ['no onError', file([], { onError: undefined }), [{ file: FILE, path: 'onError', message: 'Invalid input: expected object, received undefined' }]],
    [
      'reject with an outcome',
      file([], { onError: { reject: true, createLead: true } }),
      [{ file: FILE, path: 'onError.createLead', message: 'not allowed with reject: true' }],
    ],
    [
      'an incomplete onError',
      file([], { onError: { createLead: true } }),
      [{ file: FILE, path: 'onError.success', message: 'required: true or false (or use { reject: true })' }],
    ],
    [
      'a typo in noMatch',
      file([], { noMatch: { createLead: true, sucess: true } }),
      [
        { file: FILE, path: 'noMatch.success', message: 'Invalid input: expected boolean, received undefined' },
        { file: FILE, path: 'noMatch', message: 'Unrecognized key: "sucess"' },
      ],
    ],
    ['an unknown top-level field', file([], { enable: true }), [{ file: FILE, path: '', message: 'Unrecognized key: "enable"' }]],
  ])('%s', (_name, raw, errors) => {
    expect(errorsOf(raw)).toStrictEqual(errors);
  });

  it('collects every error of the file at once', () => {
    const raw = file(
      [
        { key: '$.a', value: 'x', createlead: false, success: false },
        row('$.b..', 'equals', 'x'),
        row('$.c', 'regex', '(a+)+'),
        row('$.d', 'exists', 'yes'),
        row('$[?match(@.e, "x")]', 'gt', 'many'),
      ],
      { noMatch: undefined },
    );
    expect(errorsOf(raw)).toStrictEqual([
      { file: FILE, path: 'rows[0].createLead', message: 'Invalid input: expected boolean, received undefined' },
      { file: FILE, path: 'rows[0]', message: 'Unrecognized key: "createlead"' },
      { file: FILE, path: 'rows[3].value', message: 'op exists takes no value' },
      { file: FILE, path: 'rows[4].value', message: 'op gt needs a number' },
      { file: FILE, path: 'noMatch', message: 'Invalid input: expected object, received undefined' },
      { file: FILE, path: 'rows[1].key', message: 'JSONPath "$.b..": expected a member name, "*" or "[" after ".." but found end of query (at character 6)' },
      {
        file: FILE,
        path: 'rows[2].value',
        message: 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)',
      },
      {
        file: FILE,
        path: 'rows[4].key',
        message: 'JSONPath "$[?match(@.e, \\"x\\")]": the filter function match() is not supported in keys (use a row with op: regex instead)',
      },
    ]);
  });

  it('reports a file that is not an object', () => {
    expect(errorsOf('rows: []')).toStrictEqual([{ file: FILE, path: '', message: 'Invalid input: expected object, received string' }]);
  });
});
