/**
 * Diagnosis: the store's two single-lead write paths without HTTP, at 16 concurrent callers on a
 * throwaway PostgreSQL: a plain lead (one statement, group-committed), a lead carrying its
 * duplicate-check decision record (what the duplicate check writes), and the duplicate check's
 * precheck of one lead alone (read only).
 *   npx tsx bench/experiments/store-paths.ts [seconds=4]
 */
import { runExperiment } from '../harness/cleanup.js';
import { postgresCpuSeconds } from '../harness/cpu.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import type { NewLead } from '../../src/pipeline/ports.js';

const CONCURRENCY = 16;

function lead(n: number, withDecision: boolean): NewLead {
  const phone = `+6148${String(n).padStart(7, '0')}`;
  return {
    templateId: 1, campaignId: 10, allocationId: 100, externalId: null, status: null, callbackAt: null, priority: 10,
    contactHours: 'Melbourne', fields: { phone, firstName: 'Sam' }, phones: [phone], dedupe: 'campaign',
    ...(withDecision
      ? { decision: { entryPoint: 'noojee', connect: 'crm', request: { method: 'POST', url: 'http://127.0.0.1/x', body: { phone } }, crmStatus: 200, latencyMs: 1, answer: '{}', matchedRow: null, values: [], decision: { createLead: true, success: true } } }
      : {}),
  } as NewLead;
}

async function main() {
  const seconds = Number(process.argv[2] ?? 4);
  const pg = await startThrowawayPostgres();
  let next = 0;
  const modes = ['plain', 'decision', 'precheck'] as const;
  for (const mode of [...modes, ...modes]) {
    const withDecision = mode === 'decision';
    const url = await pg.freshDatabase(`paths_${next}`);
    const backend = await openPostgresBackend(url, { poolSize: 20 });
    const store = createLeadStore(backend.runner);
    const until = performance.now() + seconds * 1000;
    const pg0 = postgresCpuSeconds(`${pg.dir}/data`);
    const cpu0 = process.cpuUsage();
    let done = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          if (mode === 'precheck') {
            await store.precheckLeads([lead((next += 1), false)]);
          } else {
            const [outcome] = await store.insertLeads([lead((next += 1), withDecision)]);
            if (outcome?.kind !== 'inserted') throw new Error(`unexpected ${JSON.stringify(outcome)}`);
          }
          done += 1;
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const pgCpu = postgresCpuSeconds(`${pg.dir}/data`) - pg0;
    console.log(
      `${{ plain: 'plain lead (one statement, group commit)', decision: 'lead with its decision record', precheck: 'precheck of one lead' }[mode]}: ${(done / seconds).toFixed(0)} leads/s; ` +
        `node ${((cpu.user + cpu.system) / 1000 / done).toFixed(3)} ms + PostgreSQL ${((pgCpu * 1000) / done).toFixed(3)} ms CPU per lead`,
    );
    await backend.close();
  }
}

runExperiment(main);
