import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { BASIC_RULES } from '../support/test-app.js';

const basic = await readFile(`${BASIC_RULES}/dialer.yaml`, 'utf8');
const compile = (text: string) => compileRuleSet([{ path: 'dialer.yaml', text }]);
const errorsOf = (text: string) => {
  const result = compile(text);
  if (result.ok) throw new Error('expected the rules to fail');
  return result.errors;
};

describe('dialer.yaml', () => {
  it('compiles the fixture into lookups', () => {
    const result = compile(basic);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { dialer } = result.rules;
    expect(dialer.allocations.get(101)?.campaign.id).toBe(10);
    expect(dialer.campaigns.get(10)?.allocationsByName.get('a15-2')?.id).toBe(101);
    expect(dialer.templates.get(1)?.dispositions.get('call back')?.actions).toEqual(['callback']);
    expect(dialer.templates.get(5)?.dedupe).toBe('campaign');
    expect(result.rules.files).toEqual([{ path: 'dialer.yaml', etag: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  it.each([
    ['an unknown key', basic.replace('dedupe: campaign', 'dedup: campaign'), 'templates[0]', 'Unrecognized key: "dedup"'],
    ['a bad dedupe scope', basic.replace('dedupe: campaign', 'dedupe: planet'), 'templates[0].dedupe', 'Invalid option: expected one of "allocation"|"campaign"|"global"|"none"'],
    ['a bad country', basic.replace('country: AU\n', 'country: Australia\n'), 'templates[0].country', 'must be a two-letter region code such as AU or US'],
    ['an unknown region', basic.replace('country: AU\n', 'country: QQ\n'), 'templates[0].country', "unknown region code 'QQ'"],
    ['an unknown time zone', basic.replace('Australia/Perth', 'Australia/Atlantis'), 'contactHours[1].timeZone', "unknown IANA time zone 'Australia/Atlantis'"],
    ['a missing template', basic.replace('templateId: 1\n', 'templateId: 9\n'), 'campaigns[0].templateId', 'names no template: 9'],
    ['a duplicate allocation id', basic.replace('{ id: 110, name: nov }', '{ id: 100, name: nov }'), 'campaigns[1].allocations[0].id', 'duplicate allocation id 100'],
    ['unknown default contact hours', basic.replace('contactHours: Perth, dedupe', 'contactHours: Darwin, dedupe'), 'templates[2].contactHours', "names no contactHours entry: 'Darwin'"],
    ['a string id', basic.replace('- id: 1\n', '- id: one\n'), 'templates[0].id', 'Invalid input: expected number, received string'],
    ['a wrong version', basic.replace('version: 1', 'version: 2'), 'version', 'Invalid input: expected 1'],
  ])('names file, path and problem for %s', (_name, text, path, message) => {
    expect(errorsOf(text)).toContainEqual({ file: 'dialer.yaml', path, message });
  });

  it('reports every problem of a file at once', () => {
    const text = basic.replace('Australia/Perth', 'Nowhere/Land').replace('templateId: 1\n', 'templateId: 9\n');
    // campaign 10 does not load, so the criteria keys on its allocations name no allocation either
    expect(errorsOf(text).map((e) => e.path)).toEqual(['contactHours[1].timeZone', 'campaigns[0].templateId', 'criteria[0].allocationId', 'criteria[1].allocationId']);
  });

  it('names the line and column of a YAML syntax error', () => {
    const errors = errorsOf('version: 1\ntemplates: [\n  { id: 1\n');
    expect(errors[0]).toMatchObject({ file: 'dialer.yaml', path: expect.stringMatching(/^line \d+, column \d+$/) });
  });

  it('refuses a folder without dialer.yaml', () => {
    const result = compileRuleSet([]);
    expect(result).toEqual({ ok: false, errors: [{ file: 'dialer.yaml', path: '', message: 'missing: the rules folder needs a dialer.yaml' }] });
  });

  it('checks reallocate targets in every campaign of the template', () => {
    const text = basic.replace('{ code: busy }', '{ code: busy, actions: [{ reallocate: nowhere }] }');
    expect(errorsOf(text)).toContainEqual({
      file: 'dialer.yaml',
      path: 'templates[0].dispositions[2].actions[0].reallocate',
      message: "campaign 10 has no allocation named 'nowhere'",
    });
  });

  describe('the long form of dedupe (SPEC 3.1)', () => {
    const withDedupe = (dedupe: string) => basic.replace('dedupe: campaign', `dedupe: ${dedupe}`);

    it('compiles scope, window and keys; the short form is the phone key, forever', () => {
      const result = compile(withDedupe('{ scope: global, windowDays: 90, on: [phone, email, [firstName, lastName, phone]] }'));
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      const template = result.rules.dialer.templates.get(1)!;
      expect(template.dedupe).toBe('global');
      expect(template.dedupeWindowDays).toBe(90);
      expect(template.matchKeys.map((k) => k.name)).toEqual(['phone', 'email', 'firstName+lastName+phone']);
      const short = result.rules.dialer.templates.get(2)!;
      expect([short.dedupe, short.dedupeWindowDays, short.matchKeys.map((k) => k.name)]).toEqual(['allocation', null, ['phone']]);
      const defaulted = compile(withDedupe('{ scope: campaign }'));
      expect(defaulted.ok && defaulted.rules.dialer.templates.get(1)!.matchKeys.map((k) => k.name)).toEqual(['phone']);
    });

    it.each([
      ['an unknown scope', '{ scope: planet }', 'templates[0].dedupe.scope', 'Invalid option: expected one of "allocation"|"campaign"|"global"|"none"'],
      ['a window of 0 days', '{ scope: campaign, windowDays: 0 }', 'templates[0].dedupe.windowDays', 'Too small: expected number to be >=1'],
      ['a fractional window', '{ scope: campaign, windowDays: 1.5 }', 'templates[0].dedupe.windowDays', 'Invalid input: expected int, received number'],
      ['an unknown setting', '{ scope: campaign, days: 3 }', 'templates[0].dedupe', 'Unrecognized key: "days"'],
      ['no keys', '{ scope: campaign, on: [] }', 'templates[0].dedupe.on', 'Too small: expected array to have >=1 items'],
      ['a one-field list', '{ scope: campaign, on: [[email]] }', 'templates[0].dedupe.on[0]', 'a key of several fields needs at least two'],
      ['a key listed twice', '{ scope: campaign, on: [email, phone, email] }', 'templates[0].dedupe.on[2]', "key 'email' is listed twice"],
      ['a field twice in a key', '{ scope: campaign, on: [[lastName, lastName]] }', 'templates[0].dedupe.on[0]', "key 'lastName+lastName' names a field twice"],
      ['a phone field by name', '{ scope: campaign, on: [mobile] }', 'templates[0].dedupe.on[0]', "'mobile' is a phone field: use 'phone', which means any of the template's phone fields (phone, mobile)"],
      ['a system field', '{ scope: campaign, on: [njExternalLeadId] }', 'templates[0].dedupe.on[0]', "'njExternalLeadId' is a system field; match keys are lead fields or 'phone'"],
    ])('names file, path and problem for %s', (_name, dedupe, path, message) => {
      expect(errorsOf(withDedupe(dedupe))).toContainEqual({ file: 'dialer.yaml', path, message });
    });
  });

  it('ships a demo rules folder that loads', async () => {
    const { readRulesDir } = await import('../../src/ruleset/read-rules-dir.js');
    const result = compileRuleSet(await readRulesDir(new URL('../../rules', import.meta.url).pathname));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
