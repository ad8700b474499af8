import { Hono, type Context } from 'hono';
import { renderBatch, renderCode, renderResult, type NoojeeAnswer } from '../dialects/noojee/render.js';
import { createApiKeyCheck } from '../http/api-keys.js';
import { readJsonLimited } from '../http/json-body.js';
import { createAdmissionGate } from '../pipeline/admission-gate.js';
import { failure, type LeadResult } from '../pipeline/lead-result.js';
import { applyUpdate, readNewLead, readUpdate } from './dialer-leads.js';
import { DialerTable, phoneKey } from './dialer-table.js';
import { DEMO_DIALER_API_KEY, dialerLeadsQuery, dialerQuery } from './dialer-schemas.js';

/**
 * A stand-in for the client's Noojee dialer, so the shipped rules show forwarding end to end. It
 * speaks the CampaignAPI (insertLeadFast, insertLeadsFast, updateLeadFast) with Noojee's limits
 * (seed 003): at most `maxConcurrency` calls at once across the three endpoints, each taking at
 * least `minCallMs`, the others waiting in arrival order and answered 109 after `queueTimeoutMs`.
 * It accepts any positive template, campaign and allocation id, and keeps its leads in memory
 * (the newest `maxLeads`). To show refusals and retries it answers by the last digit of a phone:
 *   7 → 104 DNC: on the dialer's DNC list (a refusal: leadgate does not retry it)
 *   8 → 103 EXCEPTION (HTTP 500) the first time it sees the number, taken on the next attempt
 *       (leadgate retries it)
 *   otherwise → taken (0), unless its njExternalLeadId (112) or a phone (105) is already in the campaign
 * `GET /demo/dialer/leads` lists what it holds, newest first; `GET /demo/dialer/stats` how busy it is.
 */

export interface DemoDialerOptions {
  /** calls served at once: Noojee's (hardware threads / 2); default 2 */
  maxConcurrency?: number;
  /** no call answers sooner (seed 003: "never complete in less than 100 ms"); default 100 */
  minCallMs?: number;
  /**
   * How long a call may wait for a slot before its 109; default 5 s. Noojee waits a minute and
   * asks its clients to wait longer than that for an answer, so a queued call ends in a clean
   * 109 (retry) rather than a client timeout (an unknown outcome). The shipped
   * destinations/demo-dialer.yaml waits 10 s (timeoutMs), so the demo answers its 109 well
   * before that; and a newcomer who floods it by hand sees the 109 and leadgate's retry within
   * seconds, not a minute. 5 s still queues some 100 calls at the defaults.
   */
  queueTimeoutMs?: number;
  apiKey?: string;
  /** leads kept; the oldest is forgotten past this; default 10,000 */
  maxLeads?: number;
  now?: () => Date;
}

const CAMPAIGN_API = '/servicemanager/rest/CampaignAPI';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Shape = 'single' | 'batch';
interface Target {
  templateId: number;
  campaignId: number;
  allocationId: number | null;
}

const ENDPOINTS = {
  insertLeadFast: { shape: 'single', allocation: 'required' },
  insertLeadsFast: { shape: 'batch', allocation: 'required' },
  updateLeadFast: { shape: 'single', allocation: 'optional' },
} as const satisfies Record<string, { shape: Shape; allocation: 'required' | 'optional' }>;

const send = (c: Context, answer: NoojeeAnswer) => c.json(answer.body, answer.status);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A positive integer id, or null (Noojee answers the parameter's own code). */
function idParam(value: string | undefined): number | null {
  const text = value?.trim() ?? '';
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : null;
}

/** Request-level checks in Noojee's order: 116 → 117 → 115. */
function readTarget(query: { fTemplateId?: string; fCampaignId?: string; fAllocationId?: string }, allocation: 'required' | 'optional'): Target | NoojeeAnswer {
  const templateId = idParam(query.fTemplateId);
  if (templateId === null) return renderCode(116, 'fTemplateId must be a positive integer');
  const campaignId = idParam(query.fCampaignId);
  if (campaignId === null) return renderCode(117, 'fCampaignId must be a positive integer');
  const allocationId = idParam(query.fAllocationId);
  if (allocationId === null && (allocation === 'required' || query.fAllocationId !== undefined)) {
    return renderCode(115, 'fAllocationId must be a positive integer');
  }
  return { templateId, campaignId, allocationId };
}

/** One lead object (or a one-element array) for `single`; an array (or a lone object) for `batch`. */
function leadsOf(body: unknown, shape: Shape): unknown[] | null {
  if (Array.isArray(body)) return shape === 'batch' || body.length === 1 ? body : null;
  return typeof body === 'object' && body !== null ? [body] : null;
}

/** A set that forgets its oldest entries past `capacity`. */
function boundedSet(capacity: number) {
  const entries = new Set<string>();
  return {
    has: (key: string) => entries.has(key),
    add(key: string) {
      entries.add(key);
      for (const oldest of entries) {
        if (entries.size <= capacity) break;
        entries.delete(oldest);
      }
    },
  };
}

export function createDemoDialerRoutes(options: DemoDialerOptions = {}): Hono {
  const limits = { maxConcurrency: options.maxConcurrency ?? 2, minCallMs: options.minCallMs ?? 100, queueTimeoutMs: options.queueTimeoutMs ?? 5_000 };
  const maxLeads = options.maxLeads ?? 10_000;
  const isApiKey = createApiKeyCheck([options.apiKey ?? DEMO_DIALER_API_KEY]);
  const table = new DialerTable(maxLeads, options.now ?? (() => new Date()));
  /** numbers ending in 8 that already had their 103 */
  const faultedOnce = boundedSet(maxLeads);
  const gate = createAdmissionGate({ slots: limits.maxConcurrency, queueTimeoutMs: limits.queueTimeoutMs });
  const calls = { inFlight: 0, peakInFlight: 0 };

  /** Runs one call in a slot, holding the slot at least minCallMs; null when it waited too long. */
  async function inSlot(work: () => NoojeeAnswer): Promise<NoojeeAnswer | null> {
    const admitted = await gate.run(async () => {
      calls.inFlight += 1;
      calls.peakInFlight = Math.max(calls.peakInFlight, calls.inFlight);
      const started = performance.now();
      try {
        const answer = work();
        // a timer may fire a fraction of a millisecond early: wait until the minimum has truly passed
        for (let left = limits.minCallMs; left > 0; left = limits.minCallMs - (performance.now() - started)) await sleep(Math.ceil(left));
        return answer;
      } finally {
        calls.inFlight -= 1;
      }
    });
    return admitted.admitted ? admitted.value : null;
  }

  function insertOne(raw: unknown, target: Target, allowDuplicates: boolean): LeadResult {
    const read = readNewLead(raw);
    if (!read.ok) return failure(read.code, read.detail);
    const { phones } = read.lead;
    const dnc = phones.find((digits) => digits.endsWith('7'));
    if (dnc !== undefined) return failure(104, `demo dialer: ${dnc} is on its DNC list (every number ending in 7 is)`);
    const faulty = phones.find((digits) => digits.endsWith('8') && !faultedOnce.has(phoneKey(digits)));
    if (faulty !== undefined) {
      faultedOnce.add(phoneKey(faulty));
      return failure(103, `demo dialer: a number ending in 8 (${faulty}) fails its first attempt; send it again`);
    }
    const inserted = table.insert({ ...read.lead, templateId: target.templateId, campaignId: target.campaignId, allocationId: target.allocationId! }, allowDuplicates);
    return inserted.code === 0 ? inserted : failure(inserted.code, inserted.detail);
  }

  function updateOne(raw: unknown, target: Target): LeadResult {
    const read = readUpdate(raw);
    if (!read.ok) return failure(read.code, read.detail);
    const lead = table.findByExternalId(target.campaignId, read.externalId);
    if (!lead) return failure(101, `no lead of campaign ${target.campaignId} has njExternalLeadId '${read.externalId}'`);
    const applied = applyUpdate(lead, read.fields);
    if (!applied.ok) return failure(applied.code, applied.detail);
    table.update(lead, applied.change);
    return { code: 0, leadId: lead.leadId };
  }

  const routes = new Hono();
  for (const [endpoint, { shape, allocation }] of Object.entries(ENDPOINTS)) {
    routes.post(`${CAMPAIGN_API}/${endpoint}`, async (c) => {
      const query = dialerQuery.parse(c.req.query());
      if (!isApiKey(query.apiKey)) return send(c, renderCode(401, "apiKey is missing or not the demo dialer's key"));
      const target = readTarget(query, allocation);
      if ('body' in target) return send(c, target);
      const body = await readJsonLimited(c.req.raw, MAX_BODY_BYTES);
      if (!body.ok) return send(c, renderCode(body.reason === 'tooLarge' ? 203 : 204, body.detail));
      const leads = leadsOf(body.value, shape);
      if (!leads) return send(c, renderCode(204, shape === 'single' ? 'the body must be one lead object' : 'the body must be an array of lead objects'));

      const answer = await inSlot(() => {
        if (endpoint === 'updateLeadFast') return renderResult(updateOne(leads[0], target));
        const results = leads.map((lead) => insertOne(lead, target, query.allowDuplicates));
        return shape === 'single' ? renderResult(results[0]!) : renderBatch(results);
      });
      // Noojee documents no Retry-After on its 109, so the demo sends none either
      return send(c, answer ?? renderCode(109, `waited ${limits.queueTimeoutMs} ms for one of the demo dialer's ${limits.maxConcurrency} slots`));
    });
  }

  routes.get('/leads', (c) => {
    const { limit } = dialerLeadsQuery.parse(c.req.query());
    return c.json({ total: table.size, leads: table.newest(limit) });
  });
  routes.get('/stats', (c) => {
    const gateStats = gate.stats();
    return c.json({ ...limits, inFlight: calls.inFlight, queued: gateStats.queued, peakInFlight: calls.peakInFlight, admitted: gateStats.admitted, timedOut: gateStats.timedOut, leads: table.size });
  });
  return routes;
}
