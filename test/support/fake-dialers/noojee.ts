import { FifoGate } from './fifo-gate.js';
import { noojeeBody, noojeeStatus } from './noojee-codes.js';
import { asFields, NoojeeLeadTable, type NoojeeLead, type Outcome, type Target } from './noojee-leads.js';
import { pause, startFakeHttp, takeForced, type DownMode, type Forced, type RecordedRequest, type Reply } from './server.js';

/**
 * A fake Noojee Contact PBX: `POST /servicemanager/rest/CampaignAPI/insertLeadFast`,
 * `insertLeadsFast` and `updateLeadFast`, built from the vendor documents in `seeds/`:
 * - seed 002: the URL, the query parameters fTemplateId, fCampaignId, fAllocationId (all
 *   required), allowDuplicates ("If true checking for duplicate phone numbers will NOT be
 *   performed"), apiKey; the JSON body (a list of lead objects for insertLeadsFast); the code table
 *   with messages and HTTP statuses (noojee-codes.ts); 115/116/117 for a missing or unknown id.
 * - seed 003: "Lead data must be POSTed and encoded as json"; at most (hardware threads / 2) calls
 *   at once across inserts and updates combined (`concurrency`, default 2), "each call we never
 *   complete in less than 100 ms" (`minCallMs`), extra calls queued and answered 109 once delayed
 *   more than 1 minute (`queueTimeoutMs`, default 60 000); "If someone is running a manual import
 *   then the InsertLead call will fail" (`manualImport`); "the Noojee PBX goes down for
 *   maintenance" (`down`).
 * - seed 001: updateLeadFast (noojee-leads.ts).
 * Decided here, the documents being silent:
 * - the answer body: the documents give each code's Message and HTTP status but no body; this
 *   fake answers `{"code", "message", "description"}` and adds `"leadId"` on code 0;
 * - insertLeadsFast answers HTTP 200 `{"code":0,"message":"OK","results":[{"index","code",
 *   "message","description","leadId"?}],"counts":{"<code>":n}}`, one result per lead in request
 *   order (the shape SPEC 2.2 gives this API); a request-level failure answers its own code alone;
 * - a missing or wrong apiKey: HTTP 401 with a text body (no code for it exists);
 * - a body that is not JSON: 103 EXCEPTION, HTTP 500 ("returned if our system throws an exception");
 * - the failure during a manual import: 103 EXCEPTION, HTTP 500, for inserts only (updates are
 *   not named); the 109 comes from the queue, after the query-parameter checks;
 * - fAllocationId is optional on updateLeadFast (seed 001 lists no URL parameters);
 * - a batch holds one slot and takes `minCallMs` once, like a single call;
 * - `delayMs` (a slow dialer) is spent inside the slot before the lead is written, and the lead is
 *   written even when the caller has hung up meanwhile: the dialer does not notice.
 */

export interface NoojeeCampaign {
  templateId: number;
  campaignId: number;
  allocationIds: number[];
}

export interface NoojeeKnobs {
  /** Calls served at once, inserts and updates together (seed 003: hardware threads / 2) */
  concurrency: number;
  /** Least time a call takes once it holds a slot */
  minCallMs: number;
  /** A call waiting longer than this for a slot is answered 109 */
  queueTimeoutMs: number;
  down: DownMode;
  /** Extra time every call spends holding its slot before its work is done */
  delayMs: number;
  /** The next n insert calls store their leads, then the socket is destroyed without an answer */
  cutAfterInsert: number;
  /** Inserts fail (103) while a manual import runs */
  manualImport: boolean;
  /** Answer this code (its status, message and description) instead of doing the work */
  answerOverride: Forced<number> | null;
}

export interface NoojeeOptions extends Partial<NoojeeKnobs> {
  apiKey?: string;
  /** Known template / campaign / allocation ids; default template 1, campaign 10, allocations 100 and 101 */
  campaigns?: NoojeeCampaign[];
  /** The template's phone fields; default `phone`, `phone2`, `mobile` */
  phoneFields?: string[];
  /** Dispositions updateLeadFast accepts; default those of seed 000's example data */
  dispositions?: string[];
  /** Contact Hours names njContactHours may give; default `Default` */
  contactHours?: string[];
  /** Phone numbers on the DNC list */
  dnc?: string[];
}

export interface FakeNoojee {
  /** Base URL, `http://127.0.0.1:<port>` */
  url: string;
  apiKey: string;
  leads: NoojeeLead[];
  /** Phone numbers (digits) on the DNC list; tests may add to it */
  dnc: Set<string>;
  requests: RecordedRequest[];
  /** Highest number of requests open at once (received, not yet answered), whatever the limit */
  readonly maxInFlightSeen: number;
  set(knobs: Partial<NoojeeKnobs>): Promise<void>;
  close(): Promise<void>;
}

export const NOOJEE_PATH = '/servicemanager/rest/CampaignAPI';

type Operation = 'insertLeadFast' | 'insertLeadsFast' | 'updateLeadFast';

export async function startFakeNoojee(options: NoojeeOptions = {}): Promise<FakeNoojee> {
  const apiKey = options.apiKey ?? 'fake-noojee-key';
  const campaigns = options.campaigns ?? [{ templateId: 1, campaignId: 10, allocationIds: [100, 101] }];
  const knobs: NoojeeKnobs = {
    concurrency: 2,
    minCallMs: 100,
    queueTimeoutMs: 60_000,
    down: false,
    delayMs: 0,
    cutAfterInsert: 0,
    manualImport: false,
    answerOverride: null,
    ...options,
  };
  const table = new NoojeeLeadTable({
    phoneFields: options.phoneFields ?? ['phone', 'phone2', 'mobile'],
    dispositions: options.dispositions ?? ['SALE', 'Call Back', 'busy'],
    contactHours: options.contactHours ?? ['Default'],
  });
  for (const phone of options.dnc ?? []) table.dnc.add(phone.replace(/\D/g, ''));
  const gate = new FifoGate(knobs.concurrency);

  async function handle(request: RecordedRequest, reply: Reply): Promise<void> {
    const answer = (status: number, body: unknown): void =>
      reply.send(status, { 'content-type': 'application/json' }, JSON.stringify(body));
    const answerCode = (code: number, extra?: Record<string, unknown>): void => answer(noojeeStatus(code), noojeeBody(code, extra));

    const operation = operationOf(request.path);
    if (!operation) return reply.send(404, { 'content-type': 'text/plain' }, 'Not Found');
    if (request.method !== 'POST') return reply.send(405, { 'content-type': 'text/plain' }, 'Method Not Allowed');
    if (request.query.apiKey !== apiKey) return reply.send(401, { 'content-type': 'text/plain' }, 'Unauthorized');
    const target = findTarget(request.query, operation);
    if (typeof target === 'number') return answerCode(target);

    if (!(await gate.acquire(knobs.queueTimeoutMs))) return answerCode(109);
    const started = Date.now();
    let result: { status: number; body: unknown } | undefined;
    try {
      await pause(knobs.delayMs);
      const forced = takeForced(knobs.answerOverride);
      result = forced !== undefined ? { status: noojeeStatus(forced), body: noojeeBody(forced) } : work(operation, request.body, target);
      await pause(knobs.minCallMs - (Date.now() - started));
    } finally {
      gate.release();
    }
    if (operation !== 'updateLeadFast' && knobs.cutAfterInsert > 0) {
      knobs.cutAfterInsert--;
      return reply.cut();
    }
    answer(result.status, result.body);
  }

  function work(operation: Operation, rawBody: string, target: Target): { status: number; body: unknown } {
    const single = (outcome: Outcome): { status: number; body: unknown } => ({
      status: noojeeStatus(outcome.code),
      body: noojeeBody(outcome.code, outcome.leadId ? { leadId: outcome.leadId } : {}),
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      return single({ code: 103 });
    }
    if (operation !== 'updateLeadFast' && knobs.manualImport) return single({ code: 103 });
    if (operation === 'insertLeadsFast') return batch(Array.isArray(parsed) ? parsed : [parsed], target);
    const lead = asFields(Array.isArray(parsed) && parsed.length === 1 ? parsed[0] : parsed);
    if (!lead) return single({ code: 103 });
    return single(operation === 'insertLeadFast' ? table.insert(lead, target) : table.update(lead, target.campaignId));
  }

  function batch(rows: unknown[], target: Target): { status: number; body: unknown } {
    const counts: Record<string, number> = {};
    const results = rows.map((row, index) => {
      const fields = asFields(row);
      const outcome = fields ? table.insert(fields, target) : { code: 103 };
      counts[outcome.code] = (counts[outcome.code] ?? 0) + 1;
      return { index, ...noojeeBody(outcome.code, outcome.leadId ? { leadId: outcome.leadId } : {}) };
    });
    return { status: 200, body: { ...noojeeBody(0), results, counts } };
  }

  function findTarget(query: Record<string, string>, operation: Operation): Target | number {
    if (!/^\d+$/.test(query.fTemplateId ?? '')) return 116;
    const templateId = Number(query.fTemplateId);
    const ofTemplate = campaigns.filter((c) => c.templateId === templateId);
    if (ofTemplate.length === 0) return 116;
    const campaign = ofTemplate.find((c) => String(c.campaignId) === query.fCampaignId);
    if (!campaign) return 117;
    const allocationId = Number(query.fAllocationId);
    const allocationOptional = operation === 'updateLeadFast' && query.fAllocationId === undefined;
    if (!allocationOptional && !campaign.allocationIds.some((id) => String(id) === query.fAllocationId)) return 115;
    return {
      templateId,
      campaignId: campaign.campaignId,
      allocationId,
      allowDuplicates: query.allowDuplicates?.toLowerCase() === 'true',
    };
  }

  const http = await startFakeHttp(handle, knobs.down);
  return {
    url: http.url,
    apiKey,
    leads: table.leads,
    dnc: table.dnc,
    requests: http.requests,
    get maxInFlightSeen() {
      return http.maxInFlightSeen;
    },
    async set(changes) {
      Object.assign(knobs, changes);
      if (changes.concurrency !== undefined) gate.setLimit(changes.concurrency);
      if (changes.down !== undefined) await http.setDown(changes.down);
    },
    async close() {
      gate.clear();
      await http.close();
    },
  };
}

function operationOf(path: string): Operation | undefined {
  const name = path.startsWith(`${NOOJEE_PATH}/`) ? path.slice(NOOJEE_PATH.length + 1) : '';
  return name === 'insertLeadFast' || name === 'insertLeadsFast' || name === 'updateLeadFast' ? name : undefined;
}
