import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { cpuMeter, cpuPer } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob } from '../harness/load.js';
import { startLeadgate, startStub, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';
import { rssUnderLoad } from './memory.js';

const CONNECTIONS = 16;
const SECONDS = 8;

/**
 * The embedded default (no DATABASE_URL: PGlite in LEADGATE_DATA_DIR), reported: single-insert
 * throughput at 16 connections, duplicate check off (as `single`), against the bare Hono echo
 * route's throughput at the same 16 connections; and the process's peak RSS during the same
 * 64-connection load as `memory` (PGlite's database lives inside the process, so it counts).
 */
export async function benchPglite(ctx: BenchContext): Promise<BenchResult[]> {
  const echo = await startStub('echo');
  const leadgate = await startLeadgate('pglite', { rulesDir: await writeBasicRules('rules-pglite') });
  const load = new LoadGenerator();
  try {
    const path = `${NOOJEE}/insertLeadFast?${TARGET_QUERY}`;
    const job: Omit<LoadJob, 'durationSec' | 'phoneBlocks'> = {
      url: `${leadgate.base}${path}`,
      shape: 'single',
      leadsPerRequest: 1,
      connections: CONNECTIONS,
      timeoutSec: 30,
      externalIdPrefix: 'g',
      check: 'single',
    };
    await load.run({ ...job, durationSec: 3, phoneBlocks: allocatePhoneBlocks() });
    const echoRun = await load.run({ ...job, url: `${echo.base}${path}`, check: 'none', durationSec: 4, phoneBlocks: allocatePhoneBlocks() });
    const cpu = cpuMeter(leadgate.pid, undefined);
    const run = await load.run({ ...job, durationSec: SECONDS, phoneBlocks: allocatePhoneBlocks() });
    const used = cpu.stop();
    if ((run.codes['0'] ?? 0) !== run.ok2xx) throw new Error(`pglite: answers other than code 0: ${JSON.stringify(run.codes)}`);
    const rss = await rssUnderLoad(load, leadgate, `${leadgate.base}${path}`, 'single');
    const serverPg = ctx.figures.get('single.rps');
    return [
      {
        name: 'PGlite (embedded default): single-lead insert, 16 conn',
        value: round(run.rps),
        unit: 'inserts/s',
        reference: `${round(echoRun.rps)} req/s of the bare Hono echo route at 16 conn`,
        ratio: round(run.rps / echoRun.rps, 3),
        target: 'report',
        pass: true,
        detail:
          `p50 ${fmtMs(run.latencyMs.p50)} ms, p99 ${fmtMs(run.latencyMs.p99)} ms; ${cpuPer(used, run.ok2xx, 'insert')} (database included)` +
          (serverPg ? `; server PostgreSQL in this run: ${round(serverPg)} inserts/s (PGlite ${round(run.rps / serverPg, 2)}×)` : ''),
      },
      {
        name: 'memory: leadgate RSS at 64 conn (PGlite)',
        value: round(rss.peakMiB * 1.048576),
        unit: 'MB peak RSS',
        reference: 'server-PG target 200 MB',
        ratio: round((rss.peakMiB * 1.048576) / 200, 2),
        target: 'report',
        pass: true,
        detail: `idle ${round(rss.idleMiB * 1.048576)} MB before the load, mean ${round(rss.meanMiB * 1.048576)} MB; ${round(rss.run.rps)} inserts/s`,
      },
    ];
  } finally {
    await load.close();
    await leadgate.stop();
    await echo.stop();
  }
}
