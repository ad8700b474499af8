/**
 * Diagnosis of leadgate's per-lead CPU on the batch path: the cost of phone validation
 * (src/leads/phone.ts: libphonenumber-js "max" metadata, parse + isValid) per unique AU mobile,
 * against cheaper ways to get the same E.164 answer, and validateNewLead as a whole.
 *   npx tsx bench/experiments/phone-parse.ts
 */
import { parsePhoneNumberFromString as parseMax } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString as parseMin } from 'libphonenumber-js/min';
import { parsePhone } from '../../src/leads/phone.js';
import { validateNewLead } from '../../src/pipeline/validate-new-lead.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { readRulesDir } from '../../src/ruleset/read-rules-dir.js';
import { resolveTarget } from '../../src/pipeline/target.js';
import { benchLead, phoneOf } from '../harness/leads.js';
import { REPO } from '../harness/procs.js';

const N = 50_000;
const phones = Array.from({ length: N }, (_, i) => phoneOf([i % 40], i)!);

function time(name: string, fn: (phone: string, i: number) => unknown) {
  for (let i = 0; i < 5_000; i += 1) fn(phones[i]!, i); // warm-up
  const t = performance.now();
  let sink = 0;
  for (let i = 0; i < N; i += 1) if (fn(phones[i]!, i)) sink += 1;
  const us = ((performance.now() - t) * 1000) / N;
  console.log(`${name.padEnd(58)} ${us.toFixed(2).padStart(6)} µs per lead  (${sink} truthy)`);
  return us;
}

const loaded = compileRuleSet(await readRulesDir(`${REPO}/test/fixtures/rules/basic`));
if (!loaded.ok) throw new Error('basic rules do not load');
const resolved = resolveTarget(loaded.rules.dialer, { templateId: '1', campaignId: '10', allocationId: '100' });
if (!resolved.ok) throw new Error('target 1/10/100 does not resolve');
const context = { target: resolved.target, contactHours: loaded.rules.dialer.contactHours, allowDuplicates: false };
const leads = phones.map((p) => benchLead(p, `x${p}`));

time('parsePhone (product: max, parse + isValid)', (p) => parsePhone(p, 'AU').kind === 'valid');
time('max: parse only', (p) => parseMax(p, 'AU')?.number);
time('max: parse + isPossible', (p) => parseMax(p, 'AU')?.isPossible());
time('min: parse + isValid', (p) => parseMin(p, 'AU')?.isValid());
time('validateNewLead (whole, product)', (_p, i) => validateNewLead(leads[i], context).ok);
time('JSON.parse + JSON.stringify of the lead', (_p, i) => JSON.parse(JSON.stringify(leads[i])));
