import { Hono, type Context } from 'hono';
import { RETRY_AFTER_SECONDS } from '../../codes.js';
import type { ApiKeyCheck } from '../../http/api-keys.js';
import type { AppVariables } from '../../http/request-log.js';
import { readJsonLimited } from '../../http/json-body.js';
import type { AdmissionGate } from '../../pipeline/admission-gate.js';
import { injectLeads } from '../../pipeline/inject-leads.js';
import { insertLeads, type PipelineDeps } from '../../pipeline/insert-leads.js';
import type { LeadResult } from '../../pipeline/lead-result.js';
import { resolveCampaignTarget, type CampaignTarget, type Target } from '../../pipeline/target.js';
import { updateLead } from '../../pipeline/update-lead.js';
import type { RuleSet } from '../../ruleset/rule-set.js';
import type { RulesProvider } from '../../ruleset/rules-holder.js';
import { methodNotAllowed, notFound, notJsonBody, unauthorized, type NoojeeEndpoint } from './refusals.js';
import { renderBatch, renderCode, renderResult, type NoojeeAnswer } from './render.js';
import { leadBatchBody, noojeeQuery, singleLeadBody } from './schemas.js';

export interface NoojeeConfig {
  /** bootstrap keys answer at once; stored keys may need one (cached) lookup */
  isApiKey: ApiKeyCheck;
  maxBatch: number;
  maxBodyBytes: number;
}

export interface NoojeeDeps extends PipelineDeps {
  gate: AdmissionGate;
  rules: RulesProvider;
  config: NoojeeConfig;
}

type Env = { Variables: AppVariables };

function send(c: Context<Env>, answer: NoojeeAnswer) {
  if (typeof answer.body.code === 'number') c.set('resultCode', answer.body.code);
  if (answer.retryAfterSeconds !== undefined) c.header('Retry-After', String(answer.retryAfterSeconds));
  return c.json(answer.body, answer.status);
}

/**
 * Reads the body as one lead (`single`) or a batch; a lone object and a one-element array are both
 * accepted. The schemas check only the envelope and the leads are passed on as they came: each is
 * checked on its own by the pipeline, so one bad lead is that lead's 204, not the request's.
 */
function leadsFromBody(body: unknown, shape: 'single' | 'batch'): unknown[] | null {
  if (!(shape === 'single' ? singleLeadBody : leadBatchBody).safeParse(body).success) return null;
  return Array.isArray(body) ? body : [body];
}

interface Operation {
  shape: 'single' | 'batch';
  allocation: 'required' | 'optional';
  run: (deps: NoojeeDeps, rules: RuleSet, target: CampaignTarget, leads: unknown[], allowDuplicates: boolean) => Promise<LeadResult[]>;
}

/** The endpoints differ only in what they do with the leads; every request check is shared. */
const OPERATIONS: Record<NoojeeEndpoint, Operation> = {
  insertLeadFast: {
    shape: 'single',
    allocation: 'required',
    run: (deps, rules, target, leads, allowDuplicates) => insertLeads(deps, { entry: 'noojee', rules, target: target as Target, allowDuplicates, leads, sync: true }),
  },
  insertLeadsFast: {
    shape: 'batch',
    allocation: 'required',
    run: (deps, rules, target, leads, allowDuplicates) => insertLeads(deps, { entry: 'noojee', rules, target: target as Target, allowDuplicates, leads }),
  },
  updateLeadFast: {
    shape: 'single',
    allocation: 'optional',
    run: async (deps, rules, target, leads) => [await updateLead(deps, { rules, campaign: target.campaign, raw: leads[0], action: 'MODIFY', source: 'updateLeadFast' })],
  },
  injectLeads: {
    shape: 'batch',
    allocation: 'required',
    run: (deps, rules, target, rows, allowDuplicates) =>
      injectLeads(deps, { entry: 'noojee', rules, target: target as Target, allowDuplicates, rows, source: 'injectLeads' }),
  },
};

/** The Noojee Contact CampaignAPI (SPEC 2), mounted at /servicemanager/rest/CampaignAPI. */
export function createNoojeeRoutes(deps: NoojeeDeps): Hono<Env> {
  const routes = new Hono<Env>();

  for (const [endpoint, operation] of Object.entries(OPERATIONS) as Array<[NoojeeEndpoint, Operation]>) {
    routes.post(`/${endpoint}`, async (c) => {
      const query = noojeeQuery.parse(c.req.query());
      if (!(await deps.config.isApiKey(query.apiKey))) return send(c, unauthorized({ query: c.req.query(), header: (name) => c.req.header(name) }));
      const rules = deps.rules.current();
      const resolved = resolveCampaignTarget(
        rules.dialer,
        { templateId: query.fTemplateId, campaignId: query.fCampaignId, allocationId: query.fAllocationId },
        operation.allocation,
      );
      if (!resolved.ok) return send(c, renderResult(resolved.result));

      const body = await readJsonLimited(c.req.raw, deps.config.maxBodyBytes);
      // A form body is refused, not read as a lead: the CampaignAPI takes JSON, so a client that
      // works here must work against Noojee too; and form encoding turns the '+' of '+61…' into a
      // space, so a phone would arrive as another number, silently. (curl -d with JSON still works.)
      if (!body.ok && body.reason === 'notJson') return send(c, notJsonBody(body.contentType));
      if (!body.ok) return send(c, renderCode(body.reason === 'tooLarge' ? 203 : 204, body.detail));
      const leads = leadsFromBody(body.value, operation.shape);
      if (!leads) {
        const expected = operation.shape === 'single' ? 'one lead object (or a one-element array)' : 'an array of lead objects';
        return send(c, renderCode(204, `the body must be ${expected}`));
      }
      if (leads.length > deps.config.maxBatch) {
        return send(c, renderCode(203, `a batch may hold at most ${deps.config.maxBatch} leads, got ${leads.length}`));
      }

      const admitted = await deps.gate.run(() => operation.run(deps, rules, resolved.target, leads, query.allowDuplicates));
      if (!admitted.admitted) {
        return send(c, { ...renderCode(109, `waited ${Math.round(admitted.waitedMs)} ms for a free slot; retry later`), retryAfterSeconds: RETRY_AFTER_SECONDS });
      }
      const results = admitted.value;
      return send(c, operation.shape === 'single' ? renderResult(results[0]!) : renderBatch(results));
    });
    // Any other method on an endpoint, and any other path under the base, is answered in the
    // dialect (the caller's client parses `code`), not with the app's generic 404.
    routes.all(`/${endpoint}`, (c) => {
      c.header('Allow', 'POST');
      return send(c, methodNotAllowed(endpoint, c.req.method));
    });
  }
  routes.all('*', (c) => send(c, notFound(c.req.path)));
  return routes;
}
