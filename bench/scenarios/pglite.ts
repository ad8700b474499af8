import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { cpuMeter, cpuPer } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { fmtMs, LoadGenerator, type LoadJob } from '../harness/load.js';
import { startLeadgate, startStub, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';
import { rssUnderLoad } from './memory.js';
import { SERVER_PG_SINGLE_FIGURE, withServerPgLeadgate } from './single.js';

const CONNECTIONS = 16;
const SECONDS = 8;
/** SPEC 9 / issue 16: the embedded default's single-lead inserts against server PostgreSQL's */
const TARGET_RATIO = 0.3;

/**
 * The server-PostgreSQL single-insert rate of this invocation: the `single` part's when it ran
 * before this one, else measured here the same way (./single.ts, without its pgbench reference).
 */
async function serverPgSingleRate(ctx: BenchContext): Promise<{ rps: number; measuredHere: boolean }> {
  const earlier = ctx.figures.get(SERVER_PG_SINGLE_FIGURE);
  if (earlier !== undefined) return { rps: earlier, measuredHere: false };
  const { result } = await withServerPgLeadgate(ctx, (server) => server.measure());
  return { rps: result.rps, measuredHere: true };
}

/**
 * The embedded default (no DATABASE_URL: PGlite in LEADGATE_DATA_DIR), reported: single-insert
 * throughput at 16 connections, duplicate check off (as `single`), against leadgate's on server
 * PostgreSQL in the same invocation (target ≥ 0.3 ×), with the bare Hono echo route's throughput
 * at the same 16 connections in the detail; and the process's peak RSS during the same
 * 64-connection load as `memory` (PGlite's database lives inside the process, so it counts).
 */
export async function benchPglite(ctx: BenchContext): Promise<BenchResult[]> {
  const serverPg = await serverPgSingleRate(ctx);
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
    const ratio = run.rps / serverPg.rps;
    return [
      {
        name: 'PGlite (embedded default): single-lead insert, 16 conn',
        value: round(run.rps),
        unit: 'inserts/s',
        reference: `${round(serverPg.rps)} inserts/s on server PostgreSQL, 16 conn, dup check off (${serverPg.measuredHere ? 'measured by this part' : "the single part's"})`,
        ratio: round(ratio, 2),
        target: `≥ ${TARGET_RATIO} × server PostgreSQL`,
        pass: ratio >= TARGET_RATIO,
        cpuPerLeadMs: { leadgate: round((used.leadgate * 1000) / run.ok2xx, 3) },
        detail:
          `p50 ${fmtMs(run.latencyMs.p50)} ms, p99 ${fmtMs(run.latencyMs.p99)} ms; ${run.ok2xx} leads; ${cpuPer(used, run.ok2xx, 'insert')} (database included); ` +
          `bare Hono echo route at 16 conn: ${round(echoRun.rps)} req/s (PGlite ${round(run.rps / echoRun.rps, 3)}×)`,
      },
      {
        name: 'memory: leadgate RSS at 64 conn (PGlite)',
        value: round(rss.peakMiB * 1.048576),
        unit: 'MB peak RSS',
        reference: 'the embedded store’s 250 MB target (measured at 16 connections by pglite-memory)',
        ratio: round((rss.peakMiB * 1.048576) / 250, 2),
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
