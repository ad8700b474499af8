/**
 * SPEC 9 "rule evaluation": a 20-row duplicate-check table on a ~2 KB CRM answer, paths
 * compiled once, at most 20 µs per evaluation. Run alone with `npx tsx bench/rule-eval.ts`.
 */
import { pathToFileURL } from 'node:url';
import { compileDuplicateCheck } from '../src/ruleset/duplicate-check/compile.js';
import { evaluateTable } from '../src/ruleset/duplicate-check/evaluate.js';

export interface RuleEvalBenchResult {
  name: string;
  microsPerEval: number;
  target: number;
  pass: boolean;
  detail: string;
  /** The same-run reference and microsPerEval relative to it, for a noisy shared machine. */
  referenceMicros: number;
  ratio: number;
}

const TARGET_MICROS = 20;

const order = (id: number, total: number, status: string) => ({
  id,
  total,
  currency: 'AUD',
  status,
  placedAt: `2024-0${(id % 9) + 1}-1${id % 10}T10:15:00Z`,
  items: [{ sku: `SKU-${id}-A`, qty: 1, price: total }],
});

/** A realistic CRM lookup answer (about 2 KB of JSON). */
const answer: unknown = JSON.parse(
  JSON.stringify({
    status: 'ok',
    requestId: 'c0a8012e-7f3b-4a55-9d2e-1b2c3d4e5f60',
    customer: {
      id: 48213,
      status: 'prospect',
      tier: 'bronze',
      score: 37.5,
      createdAt: '2023-04-11T09:12:44Z',
      tags: ['web', 'newsletter', 'au'],
      owner: { id: 17, name: 'Priya Natarajan', team: 'Inbound', email: 'priya.natarajan@acme.example' },
      address: { line1: '12 Collins Street', city: 'Melbourne', state: 'VIC', postcode: '3000', country: 'AU' },
    },
    flags: { doNotCall: false, fraud: false, vip: false, bankrupt: 'N', marketingOptIn: true },
    contacts: [
      { type: 'mobile', phone: '+61400123456', verified: true, email: 'sam.lee@example.com' },
      { type: 'home', phone: '+61383208134', verified: false },
      { type: 'work', phone: '+61290001111', verified: false, email: 'sam.lee@worksite.example' },
    ],
    orders: [order(9101, 129.95, 'delivered'), order(9102, 49.5, 'delivered'), order(9103, 310, 'refunded'), order(9104, 89.99, 'open')],
    notes: 'Called twice in March; asked to be contacted after 5pm. Interested in the premium plan, price sensitive.',
    campaigns: [
      { id: 'spring-2024', channel: 'email', opened: true, clicked: false },
      { id: 'winter-2023', channel: 'sms', opened: false, clicked: false },
    ],
    consents: { email: { given: true, at: '2023-04-11T09:13:02Z' }, sms: { given: false, at: null } },
    lastContact: { at: '2024-03-18T17:42:10Z', channel: 'phone', agent: 'agent-0231', outcome: 'callback requested' },
    meta: { source: 'crm-v2', page: 1, pageSize: 50, total: 1, tookMs: 12, region: 'ap-southeast-2' },
  }),
);

const outcome = { createLead: false, success: false, addToDnc: false };

/** Rows 0-18 do not match the answer, so every evaluation runs all 20 rows. */
const table = {
  version: 1,
  enabled: true,
  connect: 'acme-crm',
  rows: [
    { key: '$.customer.status', value: 'active', ...outcome, reason: 'existing customer' },
    { key: '$.customer.tier', op: 'in', value: ['gold', 'platinum'], ...outcome },
    { key: '$.flags.doNotCall', value: 'true', ...outcome, createLead: true, status: 'DNC', addToDnc: true },
    { key: '$.flags.fraud', value: true, ...outcome },
    { key: '$.customer.score', op: 'gte', value: 90, ...outcome },
    { key: '$.orders[*].status', value: 'chargeback', ...outcome },
    { key: '$..email', op: 'regex', value: '@competitor\\.com$', ...outcome },
    { key: "$.contacts[?@.type == 'mobile'].phone", op: 'regex', value: '^\\+6149', ...outcome },
    { key: '$.customer.tags[*]', op: 'in', value: ['blacklist', 'deceased'], ...outcome },
    { key: '$.orders[-1].total', op: 'gt', value: 10000, ...outcome },
    { key: "$['customer']['owner']['team']", value: 'retention', ...outcome },
    { key: '$.flags.bankrupt', op: 'in', value: ['Y', 'yes'], ...outcome },
    { key: '$.notes', op: 'contains', value: 'do not call', ...outcome },
    { key: '$.meta.total', op: 'gt', value: 1, ...outcome },
    { key: '$.customer.id', op: 'notExists', ...outcome },
    { key: '$.contacts[0,1].phone', value: '+61299999999', ...outcome },
    { key: '$.*.vip', value: true, ...outcome },
    { key: '$.orders[?@.total > 5000].id', op: 'exists', ...outcome },
    { key: '$.customer.createdAt', op: 'regex', value: '^2024-', ...outcome },
    { key: '$.status', value: 'ok', createLead: true, success: true },
  ],
  noMatch: { createLead: true, success: true },
  onError: { reject: true },
};

/**
 * Same-run reference: what 20 hard-coded checks cost, each a two-step property lookup in the
 * same answer and a trimmed, lower-case compare.
 */
const REFERENCE_PATHS: [string, string][] = [
  ['customer', 'status'], ['customer', 'tier'], ['flags', 'doNotCall'], ['flags', 'fraud'], ['customer', 'score'],
  ['orders', '0'], ['contacts', '0'], ['contacts', '1'], ['customer', 'tags'], ['orders', '3'],
  ['customer', 'owner'], ['flags', 'bankrupt'], ['notes', 'length'], ['meta', 'total'], ['customer', 'id'],
  ['contacts', '2'], ['flags', 'vip'], ['orders', '1'], ['customer', 'createdAt'], ['meta', 'source'],
];

function reference(document: unknown): number {
  let hits = 0;
  for (const [a, b] of REFERENCE_PATHS) {
    const parent = (document as Record<string, Record<string, unknown>>)[a];
    if (String(parent?.[b]).trim().toLowerCase() === 'ok') hits++;
  }
  return hits;
}

/** Calls `fn` in batches for about `millis` ms; returns ns per call. */
function measure(fn: () => number, millis: number): number {
  let sink = 0;
  let calls = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(millis) * 1_000_000n;
  let now = started;
  while (now < until) {
    for (let i = 0; i < 1_000; i++) sink += fn();
    calls += 1_000;
    now = process.hrtime.bigint();
  }
  if (sink === -1) console.log(sink);
  return Number(now - started) / calls;
}

export async function benchRuleEval(): Promise<RuleEvalBenchResult> {
  const compiled = compileDuplicateCheck(table, 'bench/duplicate-check.yaml');
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const rules = compiled.table;
  const decision = evaluateTable(rules, answer);
  if (decision.source !== 'row' || decision.rowIndex !== 19) throw new Error('bench table: expected row 19 to decide');

  const evaluate = () => (evaluateTable(rules, answer).source === 'row' ? 1 : 0);
  measure(evaluate, 300);
  measure(() => reference(answer), 100);
  const nsPerEval = measure(evaluate, 1_000);
  const nsReference = measure(() => reference(answer), 300);

  const engines = new Map<string, number>();
  for (const row of rules.rows) engines.set(row.path.engine, (engines.get(row.path.engine) ?? 0) + 1);
  const microsPerEval = nsPerEval / 1_000;
  return {
    name: 'rule evaluation (20 rows, 2 KB answer)',
    microsPerEval: Number(microsPerEval.toFixed(3)),
    target: TARGET_MICROS,
    pass: microsPerEval <= TARGET_MICROS,
    detail:
      `${JSON.stringify(answer).length}-byte answer, all 20 rows evaluated; keys: ` +
      [...engines].map(([engine, n]) => `${n} ${engine}`).join(', ') +
      `; reference (20 hard-coded two-step lookups and compares) ${(nsReference / 1_000).toFixed(3)} µs, ` +
      `ratio ${(nsPerEval / nsReference).toFixed(1)}x`,
    referenceMicros: Number((nsReference / 1_000).toFixed(3)),
    ratio: Number((nsPerEval / nsReference).toFixed(2)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchRuleEval();
  console.log(JSON.stringify(result, null, 2));
  if (!result.pass) process.exitCode = 1;
}
