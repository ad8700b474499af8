import postgres from 'postgres';
import { Pool } from 'undici';
import type { NewLead } from '../../src/pipeline/ports.js';
import { STORE_SESSION_SETTINGS } from '../../src/store/backends/postgres.js';
import { postgresRunner } from '../../src/store/backends/postgres-runner.js';
import { insertOneLead } from '../../src/store/insert-one.js';
import { precheckLeads } from '../../src/store/precheck.js';
import { benchLead, phoneOf } from './leads.js';
import { paceRequests } from './pace.js';
import { CRM_TOKEN } from './servers.js';

/**
 * The floor client of SPEC 9's latency row: what one duplicate-checked lead costs in dependent
 * round trips alone, with no HTTP server, validation or rules in between. Each lead makes:
 *   1. the precheck query (src/store/precheck.ts, the product's own statement and parameters);
 *   2. the CRM call: POST to the same 0 ms stub through an undici Pool, the body the product's
 *      adaptor builds for the bench connect (writeCrmRules);
 *   3. the insert statement (src/store/insert-one.ts) with its decision record, as the product
 *      writes a lead the table created (noMatch).
 * postgres.js with named prepared statements and the store's session settings, as the product's runner. Leads are shaped as
 * leadgate stores the bench's (template 1, campaign 10, allocation 100, campaign dedupe).
 */
export interface FloorRun {
  done: number;
  failed: number;
  rps: number;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface FloorClient {
  /** leads started evenly spread at `rate` a second for `seconds`, phones from `phoneBlocks` */
  paced(rate: number, seconds: number, phoneBlocks: readonly number[], externalIdPrefix: string): Promise<FloorRun>;
  close(): Promise<void>;
}

export function createFloorClient(databaseUrl: string, crmBase: string, connections = 16): FloorClient {
  const sql = postgres(databaseUrl, { max: connections, onnotice: () => {}, connection: STORE_SESSION_SETTINGS });
  const runner = postgresRunner(sql);
  const crm = new Pool(crmBase, { connections });

  async function one(national: string, externalId: string): Promise<void> {
    const e164 = `+61${national.slice(1)}`;
    const { njExternalLeadId: _external, ...fields } = benchLead(national, externalId);
    const lead: NewLead = {
      templateId: 1,
      campaignId: 10,
      allocationId: 100,
      externalId,
      status: null,
      callbackAt: null,
      priority: 10,
      contactHours: 'Melbourne',
      fields,
      phones: [e164],
      dedupe: 'campaign',
    };
    const [precheck] = await precheckLeads(runner, [lead]);
    if (precheck) throw new Error(`floor client: precheck refused ${e164}: ${precheck.kind}`);
    const body = JSON.stringify({ phone_number: e164, contact: { email: fields.email }, external_id: externalId });
    const headers = { authorization: `Bearer ${CRM_TOKEN}`, 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': globalThis.crypto.randomUUID() };
    const started = performance.now();
    const res = await crm.request({ path: '/api/leads/lookup', method: 'POST', headers, body });
    const answer = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`floor client: CRM answered ${res.statusCode}`);
    const decision = {
      entryPoint: 'noojee',
      connect: 'crm',
      request: { method: 'POST', url: `${crmBase}/api/leads/lookup`, headers: { ...headers, authorization: '[REDACTED]' }, body },
      crmStatus: res.statusCode,
      latencyMs: performance.now() - started,
      answer,
      matchedRow: null,
      values: null,
      decision: { source: 'noMatch', createLead: true, success: true },
    };
    const outcome = await insertOneLead(runner, { ...lead, decision });
    if (outcome.kind !== 'inserted') throw new Error(`floor client: insert refused ${e164}: ${outcome.kind}`);
  }

  return {
    async paced(rate, seconds, phoneBlocks, externalIdPrefix) {
      const latencies: number[] = [];
      let failed = 0;
      const elapsed = await paceRequests(rate, Math.round(rate * seconds), (i) => {
        const national = phoneOf(phoneBlocks, i);
        if (!national) throw new Error('floor client: out of phones');
        const start = performance.now();
        return one(national, `${externalIdPrefix}${i}`).then(
          () => void latencies.push(performance.now() - start),
          (error: unknown) => {
            failed += 1;
            if (failed === 1) console.error(error);
          },
        );
      });
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
      return { done: latencies.length, failed, rps: latencies.length / elapsed, latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN } };
    },
    async close() {
      await crm.close();
      await sql.end({ timeout: 5 });
    },
  };
}
