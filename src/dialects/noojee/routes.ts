import { Hono, type Context } from 'hono';
import { RETRY_AFTER_SECONDS } from '../../codes.js';
import type { AppVariables } from '../../http/request-log.js';
import type { AdmissionGate } from '../../pipeline/admission-gate.js';
import { readJsonLimited } from '../../http/read-body.js';
import { insertLeads, type PipelineDeps } from '../../pipeline/insert-leads.js';
import { resolveTarget } from '../../pipeline/target.js';
import type { RulesProvider } from '../../ruleset/rules-holder.js';
import { renderBatch, renderCode, renderResult, UNAUTHORIZED, type NoojeeAnswer } from './render.js';

export interface NoojeeConfig {
  isApiKey: (key: string | undefined) => boolean;
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

/** Reads the body as one lead (`single`) or a batch; a lone object and a one-element array are both accepted. */
function leadsFromBody(body: unknown, shape: 'single' | 'batch'): unknown[] | null {
  if (Array.isArray(body)) return shape === 'single' && body.length !== 1 ? null : body;
  return typeof body === 'object' && body !== null ? [body] : null;
}

/** The Noojee Contact CampaignAPI (SPEC 2), mounted at /servicemanager/rest/CampaignAPI. */
export function createNoojeeRoutes(deps: NoojeeDeps): Hono<Env> {
  const routes = new Hono<Env>();

  const insert = (shape: 'single' | 'batch') => async (c: Context<Env>) => {
    if (!deps.config.isApiKey(c.req.query('apiKey'))) return send(c, UNAUTHORIZED);
    const rules = deps.rules.current();
    const resolved = resolveTarget(rules.dialer, {
      templateId: c.req.query('fTemplateId'),
      campaignId: c.req.query('fCampaignId'),
      allocationId: c.req.query('fAllocationId'),
    });
    if (!resolved.ok) return send(c, renderResult(resolved.result));

    const body = await readJsonLimited(c.req.raw, deps.config.maxBodyBytes);
    if (!body.ok) return send(c, renderCode(body.reason === 'tooLarge' ? 203 : 204, body.detail));
    const leads = leadsFromBody(body.value, shape);
    if (!leads) {
      const expected = shape === 'single' ? 'one lead object (or a one-element array)' : 'an array of lead objects';
      return send(c, renderCode(204, `the body must be ${expected}`));
    }
    if (leads.length > deps.config.maxBatch) {
      return send(c, renderCode(203, `a batch may hold at most ${deps.config.maxBatch} leads, got ${leads.length}`));
    }

    const admitted = await deps.gate.run(() =>
      insertLeads(deps, {
        entry: 'noojee',
        rules,
        target: resolved.target,
        allowDuplicates: c.req.query('allowDuplicates')?.trim().toLowerCase() === 'true',
        leads,
      }),
    );
    if (!admitted.admitted) {
      return send(c, { ...renderCode(109, `waited ${Math.round(admitted.waitedMs)} ms for a free slot; retry later`), retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    const results = admitted.value;
    return send(c, shape === 'single' ? renderResult(results[0]!) : renderBatch(results));
  };

  routes.post('/insertLeadFast', insert('single'));
  routes.post('/insertLeadsFast', insert('batch'));
  return routes;
}
