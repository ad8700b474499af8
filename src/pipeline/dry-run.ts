import type { RuleSet } from '../ruleset/rule-set.js';
import { explainTable, onErrorDecision, type RowExplanation } from '../ruleset/duplicate-check/evaluate.js';
import type { CrmCaller } from './duplicate-check.js';
import { splitFields } from './validate-new-lead.js';
import { parsePhone } from '../leads/phone.js';
import type { LeadFields } from '../leads/scalar.js';
import { storableJson } from '../lib/storable.js';

export type DryRunInput = { lead: unknown; crmResponse: unknown; live?: false; templateId?: number } | { lead: unknown; live: true; templateId?: number };

export type DryRunResult =
  | { ok: true; decision: Record<string, unknown>; rows: RowExplanation[]; crm?: Record<string, unknown> }
  | { ok: false; error: string };

/**
 * The duplicate-check table on a given CRM answer (or a live call): the decision and, for every
 * row, what its key found and whether it matched. Writes nothing, records nothing.
 */
export async function dryRunTable(rules: RuleSet, crm: CrmCaller | undefined, input: DryRunInput): Promise<DryRunResult> {
  const table = rules.duplicateCheck;
  if (!table) return { ok: false, error: 'the rules folder has no duplicate-check table' };
  if (!input.live) {
    const explained = explainTable(table, input.crmResponse);
    return { ok: true, ...echoable(explained.decision, explained.rows) };
  }
  const connect = rules.connects.get(table.connect);
  if (!crm || !connect) return { ok: false, error: `connect '${table.connect}' is not available for a live call` };
  const view = crmViewOf(rules, input.lead, input.templateId);
  if (!view.ok) return view;
  const outcome = await crm.call(connect, view.fields);
  const crmSummary = { ok: outcome.ok, status: outcome.status ?? null, latencyMs: outcome.latencyMs, request: outcome.request, ...(outcome.ok ? {} : { failure: outcome.reason, detail: outcome.detail }) };
  if (!outcome.ok) return { ok: true, decision: { ...onErrorDecision(table) }, rows: [], crm: crmSummary };
  const explained = explainTable(table, outcome.answer);
  return { ok: true, ...echoable(explained.decision, explained.rows), crm: { ...crmSummary, answer: storableJson(outcome.answer) } };
}

/** The CRM's values, bounded in depth, so echoing an untrusted answer can never overflow the stack. */
function echoable(decision: object, rows: RowExplanation[]) {
  return {
    decision: storableJson(decision) as Record<string, unknown>,
    rows: rows.map((row) => ({ ...row, values: storableJson(row.values) as unknown[] })),
  };
}

/** The lead as the adaptor would see it, phones in E.164 with the template's country. */
function crmViewOf(rules: RuleSet, lead: unknown, templateId?: number): { ok: true; fields: LeadFields } | { ok: false; error: string } {
  const split = splitFields(lead);
  if (!split.ok) return { ok: false, error: `lead: ${'detail' in split.result ? split.result.detail : 'malformed'}` };
  const template = templateId === undefined ? rules.dialer.templates.values().next().value : rules.dialer.templates.get(templateId);
  if (!template) return { ok: false, error: `templateId ${templateId} names no template` };
  const fields: LeadFields = { ...split.fields.plain, ...(split.fields.system as LeadFields) };
  for (const field of template.phoneFields) {
    const parsed = parsePhone(fields[field], template.country);
    if (parsed.kind === 'valid') fields[field] = parsed.e164;
  }
  return { ok: true, fields };
}
