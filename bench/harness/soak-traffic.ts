import { createHmac } from 'node:crypto';
import { benchLead, NOOJEE, phoneOf, TARGET_QUERY } from './leads.js';

/**
 * The soak's traffic: a paced, bounded mix of every kind of request a running gateway gets, sent
 * from the benchmark's own process with fetch (so every answer can be read and checked, which
 * autocannon does not do per request), at most `maxInFlight` at a time. Every answer is recorded
 * with its times, HTTP status, result code and lead id, and whether it was the expected one; the
 * leads it accepted are remembered so later requests (updates, duplicates, searches, redeliveries)
 * can refer to them and the end of the run can look for each of them in the database.
 */

export type Kind = 'insert' | 'insert-crm-timeout' | 'duplicate' | 'batch' | 'update' | 'webhook' | 'redelivery' | 'admin' | 'search';
export const KINDS: readonly Kind[] = ['insert', 'insert-crm-timeout', 'duplicate', 'batch', 'update', 'webhook', 'redelivery', 'admin', 'search'];

export interface Answer {
  kind: Kind;
  /** Date.now() when sent and when the whole answer was read */
  sentAt: number;
  doneAt: number;
  /** HTTP status; 0 when no answer came (refused, reset, or the client's timeout) */
  status: number;
  code?: number;
  leadId?: string;
  /** the external id of the lead it sent (inserts, duplicates, updates, webhooks) */
  ext?: string;
  /** unset: the expected answer; otherwise what was not as expected */
  wrong?: string;
  /** the unexpected answer is one a client retries: HTTP 503, code 207 or 109, or no answer */
  retryable?: boolean;
}

export interface AcceptedLead {
  ext: string;
  phone: string;
  leadId: string;
  via: 'insert' | 'batch' | 'webhook';
  /** its duplicate-check call was made to time out: it must be stored with status CRM_ERROR */
  crmTimeout: boolean;
  /** updates answered 0 */
  updatesOk: number;
  /** updates whose answer was not 0 (retryable or otherwise): whether they were written is not known */
  updatesUnsure: number;
  /** an update of it is in flight (two at once could answer 110 by design) */
  busy: boolean;
}

export interface TrafficOptions {
  base: string;
  apiKey: string;
  adminToken: string;
  hookSource: string;
  hookSecret: string;
  /** phone blocks this run owns (allocatePhoneBlocks) */
  phoneBlocks: number[];
  /** external ids with this prefix get a CRM answer later than the connect's timeout */
  crmTimeoutPrefix: string;
  maxInFlight: number;
  /** requests waiting for a free slot beyond this are not sent (counted as dropped) */
  maxQueued: number;
  requestTimeoutMs: number;
  batchSize: number;
  seed: number;
}

/** The mix, per 100 ms tick (10 ticks a second at rate 1): which ticks send what. */
export const MIX = {
  /** every tick: one single insert; every 10th of them times out at the CRM */
  crmTimeoutEvery: 10,
  update: { every: 5, at: 2 },
  webhook: { every: 10, at: 4 },
  duplicate: { every: 20, at: 9 },
  redelivery: { every: 50, at: 17 },
  admin: { every: 30, at: 6 },
  search: { every: 50, at: 33 },
  batch: { every: 100, at: 55 },
} as const;

const ADMIN_PATHS = ['/admin/decisions', '/admin/rules', '/admin/audit'] as const;

interface HttpAnswer {
  status: number;
  json?: unknown;
  headers?: Headers;
  error?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const codeOf = (json: unknown): number | undefined => (isObject(json) && typeof json.code === 'number' ? json.code : undefined);
const leadIdOf = (json: unknown): string | undefined => (isObject(json) && typeof json.leadId === 'string' ? json.leadId : undefined);

/** mulberry32: the same seed, the same choices of leads to update, duplicate and search */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SoakTraffic {
  readonly answers: Answer[] = [];
  readonly leads = new Map<string, AcceptedLead>();
  /** external ids of leads refused with "nothing written" (207 / 503): none of them may be stored */
  readonly refused = new Map<string, Answer>();
  /** external ids sent as deliberate duplicates (answered 105): none of them may be stored */
  readonly duplicates = new Set<string>();
  readonly dropped: Partial<Record<Kind, number>> = {};
  maxQueued = 0;

  private readonly accepted: AcceptedLead[] = [];
  private readonly events: Array<{ body: string; eventId: string; leadId: string }> = [];
  private readonly rand: () => number;
  private nextPhone = 0;
  private nextSerial = 0;
  private adminTurn = 0;
  private inFlight = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private readonly idle: Array<() => void> = [];

  constructor(private readonly o: TrafficOptions) {
    this.rand = random(o.seed);
  }

  /** Sends what tick `tick` of the mix sends (see MIX). */
  tick(tick: number): void {
    const at = (m: { every: number; at: number }) => tick % m.every === m.at;
    this.insert(tick % MIX.crmTimeoutEvery === MIX.crmTimeoutEvery - 3);
    if (at(MIX.update)) this.update();
    if (at(MIX.webhook)) this.webhook();
    if (at(MIX.duplicate)) this.duplicate();
    if (at(MIX.redelivery)) this.redelivery();
    if (at(MIX.admin)) this.admin();
    if (at(MIX.search)) this.search();
    if (at(MIX.batch)) this.batch();
  }

  /** Resolves when nothing is in flight or queued (or after `timeoutMs`). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0 && this.queue.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return done;
  }

  get pending(): number {
    return this.inFlight + this.queue.length;
  }

  // ---- the requests ----

  private insert(crmTimeout: boolean): void {
    const n = this.nextPhone++;
    const phone = this.phone(n);
    const ext = crmTimeout ? `${this.o.crmTimeoutPrefix}s-${n}` : `s-${n}`;
    const kind: Kind = crmTimeout ? 'insert-crm-timeout' : 'insert';
    this.send(kind, async (answer) => {
      answer.ext = ext;
      const res = await this.post(`${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, JSON.stringify(benchLead(phone, ext)));
      this.single(answer, res, ext, phone, 'insert', crmTimeout);
    });
  }

  private batch(): void {
    const rows = Array.from({ length: this.o.batchSize }, (_, i) => {
      const n = this.nextPhone++;
      // one lead of each batch times out at the CRM too
      const crmTimeout = i === 7;
      const ext = crmTimeout ? `${this.o.crmTimeoutPrefix}b-${n}` : `b-${n}`;
      return { ext, phone: this.phone(n), crmTimeout };
    });
    this.send('batch', async (answer) => {
      answer.ext = `${rows[0]!.ext}…`;
      const res = await this.post(`${NOOJEE}/insertLeadsFast?${TARGET_QUERY}`, JSON.stringify(rows.map((r) => benchLead(r.phone, r.ext))));
      this.fill(answer, res);
      if (answer.wrong) {
        if (explicitlyRefused(res)) for (const r of rows) this.refused.set(r.ext, answer);
        return;
      }
      const results = isObject(res.json) && Array.isArray(res.json.results) ? (res.json.results as unknown[]) : [];
      if (res.status !== 200 || answer.code !== 0 || results.length !== rows.length) {
        answer.wrong = `HTTP ${res.status} code ${answer.code} with ${results.length} results for ${rows.length} leads`;
        return;
      }
      const codes: Record<string, number> = {};
      rows.forEach((r, i) => {
        const row = results[i];
        const code = codeOf(row);
        const leadId = leadIdOf(row);
        codes[String(code)] = (codes[String(code)] ?? 0) + 1;
        if ((code === 0 || code === 205) && leadId) this.accept({ ext: r.ext, phone: r.phone, leadId, via: 'batch', crmTimeout: r.crmTimeout });
        else if (code === 207) this.refused.set(r.ext, answer);
      });
      if ((codes['0'] ?? 0) !== rows.length) {
        answer.wrong = `rows by code ${JSON.stringify(codes)}`;
        answer.retryable = Object.keys(codes).every((c) => c === '0' || c === '207' || c === '109');
      }
    });
  }

  private duplicate(): void {
    const lead = this.pick(false);
    if (!lead) return;
    const ext = `d-${this.nextSerial++}`;
    this.duplicates.add(ext);
    this.send('duplicate', async (answer) => {
      answer.ext = ext;
      const res = await this.post(`${NOOJEE}/insertLeadFast?${TARGET_QUERY}`, JSON.stringify(benchLead(lead.phone, ext)));
      this.fill(answer, res);
      if (!answer.wrong && (res.status !== 400 || answer.code !== 105)) answer.wrong = `HTTP ${res.status} code ${answer.code}, expected 105`;
    });
  }

  private update(): void {
    const lead = this.pick(true);
    if (!lead) return;
    lead.busy = true;
    const serial = this.nextSerial++;
    this.send(
      'update',
      async (answer) => {
        try {
          answer.ext = lead.ext;
          const body = { njExternalLeadId: lead.ext, phone: '<No Change>', njDisposition: 'busy', surname: `Updated ${serial}` };
          const res = await this.post(`${NOOJEE}/updateLeadFast?${TARGET_QUERY}`, JSON.stringify(body));
          this.fill(answer, res);
          if (!answer.wrong && (res.status !== 200 || answer.code !== 0 || answer.leadId !== lead.leadId)) {
            answer.wrong = `HTTP ${res.status} code ${answer.code} lead ${answer.leadId}, expected 0 for lead ${lead.leadId}`;
          }
          if (answer.wrong) lead.updatesUnsure += 1;
          else lead.updatesOk += 1;
        } finally {
          lead.busy = false;
        }
      },
      () => {
        lead.busy = false;
      },
    );
  }

  private webhook(): void {
    const n = this.nextPhone++;
    const phone = this.phone(n);
    const ext = `w-${n}`;
    const eventId = `e-${n}`;
    const body = JSON.stringify({ eventId, lead: { id: ext, phone, firstName: 'Sam' } });
    this.send('webhook', async (answer) => {
      answer.ext = ext;
      const res = await this.hook(body);
      this.fill(answer, res);
      if (answer.wrong) {
        if (explicitlyRefused(res)) this.refused.set(ext, answer);
        return;
      }
      const json = isObject(res.json) ? res.json : {};
      if (res.status !== 200 || json.code !== 0 || json.eventId !== eventId || !answer.leadId) {
        answer.wrong = `HTTP ${res.status} ${JSON.stringify(json)}`;
        return;
      }
      this.accept({ ext, phone, leadId: answer.leadId, via: 'webhook', crmTimeout: false });
      this.events.push({ body, eventId, leadId: answer.leadId });
    });
  }

  /** An event delivered before, sent again (a sender's retry): the first answer again, nothing new stored. */
  private redelivery(): void {
    if (this.events.length === 0) return;
    const event = this.events[Math.floor(this.rand() * this.events.length)]!;
    this.send('redelivery', async (answer) => {
      const res = await this.hook(event.body);
      this.fill(answer, res);
      if (answer.wrong) return;
      const replayed = res.headers?.get('idempotent-replayed');
      if (res.status !== 200 || answer.code !== 0 || answer.leadId !== event.leadId || replayed !== 'true') {
        answer.wrong = `HTTP ${res.status} code ${answer.code} lead ${answer.leadId} replayed ${replayed}, expected the first answer (lead ${event.leadId}) replayed`;
      }
    });
  }

  private admin(): void {
    const path = ADMIN_PATHS[this.adminTurn++ % ADMIN_PATHS.length]!;
    this.send('admin', async (answer) => {
      const res = await this.call(path, { headers: { authorization: `Bearer ${this.o.adminToken}` } });
      this.fill(answer, res);
      if (!answer.wrong && (res.status !== 200 || !isObject(res.json))) answer.wrong = `${path}: HTTP ${res.status}`;
    });
  }

  private search(): void {
    const lead = this.pick(false);
    if (!lead) return;
    this.send('search', async (answer) => {
      const form = new URLSearchParams({ auth_token: this.o.apiKey, phone_number: lead.phone, phone_code: '61' });
      const res = await this.call('/v1/leads/search', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      this.fill(answer, res);
      if (answer.wrong) return;
      const json = isObject(res.json) ? res.json : {};
      const data = isObject(json.data) ? json.data : {};
      // Convoso gives its paging figures as strings ("total":"1"), and so does leadgate (SPEC 4)
      if (res.status !== 200 || json.success !== true || Number(data.total) !== 1) answer.wrong = `HTTP ${res.status} ${JSON.stringify(json).slice(0, 200)}, expected the one lead of ${lead.phone}`;
    });
  }

  // ---- plumbing ----

  private phone(n: number): string {
    const phone = phoneOf(this.o.phoneBlocks, n);
    if (!phone) throw new Error('the soak used every phone of its blocks');
    return phone;
  }

  /** a random accepted lead (an idle one when `idle`), or none */
  private pick(idle: boolean): AcceptedLead | undefined {
    if (this.accepted.length === 0) return undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const lead = this.accepted[Math.floor(this.rand() * this.accepted.length)]!;
      if (!idle || !lead.busy) return lead;
    }
    return undefined;
  }

  private accept(lead: Omit<AcceptedLead, 'updatesOk' | 'updatesUnsure' | 'busy'>): void {
    const full: AcceptedLead = { ...lead, updatesOk: 0, updatesUnsure: 0, busy: false };
    this.leads.set(lead.ext, full);
    this.accepted.push(full);
  }

  /** A single insert's answer: 0 with a lead id is expected; the lead is remembered. */
  private single(answer: Answer, res: HttpAnswer, ext: string, phone: string, via: AcceptedLead['via'], crmTimeout: boolean): void {
    this.fill(answer, res);
    if ((answer.code === 0 || answer.code === 205) && answer.leadId) this.accept({ ext, phone, leadId: answer.leadId, via, crmTimeout });
    else if (explicitlyRefused(res)) this.refused.set(ext, answer);
    if (!answer.wrong && (res.status !== 200 || answer.code !== 0 || !answer.leadId)) answer.wrong = `HTTP ${res.status} code ${answer.code}`;
  }

  /** Status, code and lead id into the answer; a retryable refusal (503, 207, 109, no answer) is marked wrong and retryable. */
  private fill(answer: Answer, res: HttpAnswer): void {
    answer.status = res.status;
    answer.code = codeOf(res.json);
    answer.leadId = leadIdOf(res.json);
    if (res.status === 0 || res.status === 503 || answer.code === 207 || answer.code === 109) {
      answer.wrong = res.status === 0 ? `no answer: ${res.error}` : `HTTP ${res.status} code ${answer.code ?? '-'}${isObject(res.json) && typeof res.json.error === 'string' ? ` (${res.json.error})` : ''}`;
      answer.retryable = true;
    }
  }

  private send(kind: Kind, work: (answer: Answer) => Promise<void>, onDrop?: () => void): void {
    const run = async () => {
      const answer: Answer = { kind, sentAt: Date.now(), doneAt: 0, status: 0 };
      try {
        await work(answer);
      } catch (error) {
        answer.wrong = `client error: ${error instanceof Error ? error.message : String(error)}`;
      }
      answer.doneAt = Date.now();
      this.answers.push(answer);
    };
    if (this.inFlight < this.o.maxInFlight) {
      this.start(run);
      return;
    }
    if (this.queue.length >= this.o.maxQueued) {
      this.dropped[kind] = (this.dropped[kind] ?? 0) + 1;
      onDrop?.();
      return;
    }
    this.queue.push(run);
    this.maxQueued = Math.max(this.maxQueued, this.queue.length);
  }

  private start(run: () => Promise<void>): void {
    this.inFlight += 1;
    void run().finally(() => {
      this.inFlight -= 1;
      const next = this.queue.shift();
      if (next) this.start(next);
      else if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  private post(path: string, body: string): Promise<HttpAnswer> {
    return this.call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  private hook(body: string): Promise<HttpAnswer> {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', this.o.hookSecret).update(`${timestamp}.${body}`).digest('hex');
    return this.call(`/hooks/${this.o.hookSource}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timestamp': String(timestamp), 'x-signature': `sha256=${signature}` },
      body,
    });
  }

  private async call(path: string, init: RequestInit): Promise<HttpAnswer> {
    try {
      const res = await fetch(`${this.o.base}${path}`, { ...init, signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, headers: res.headers };
    } catch (error) {
      return { status: 0, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
}

/** The answer says nothing of the request was written (207 / HTTP 503), as opposed to no answer at all. */
function explicitlyRefused(res: HttpAnswer): boolean {
  return res.status === 503 || codeOf(res.json) === 207;
}
