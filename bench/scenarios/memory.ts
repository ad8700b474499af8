import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator, type LoadJob, type LoadResult } from '../harness/load.js';
import { rssMiB, sampleRss, type Service } from '../harness/procs.js';
import { startLeadgate, startStub, writeBasicRules } from '../harness/servers.js';
import type { BenchResult } from '../result.js';

export const MEMORY_CONNECTIONS = 64;
const SECONDS = 10;

export interface RssRun {
  idleMiB: number;
  peakMiB: number;
  meanMiB: number;
  run: LoadResult;
}

/** insertLeadFast (or the echo route) at 64 connections for 10 s while sampling the server's RSS every 200 ms. */
export async function rssUnderLoad(load: LoadGenerator, server: Service, url: string, check: LoadJob['check']): Promise<RssRun> {
  const idleMiB = rssMiB(server.pid) ?? NaN;
  const sampler = sampleRss(server.pid);
  const run = await load.run({
    url,
    shape: 'single',
    leadsPerRequest: 1,
    connections: MEMORY_CONNECTIONS,
    durationSec: SECONDS,
    timeoutSec: 60,
    phoneBlocks: allocatePhoneBlocks(),
    externalIdPrefix: 'm',
    check,
  });
  const rss = sampler.stop();
  return { idleMiB, peakMiB: rss.peakMiB, meanMiB: rss.meanMiB, run };
}

/**
 * SPEC 9 memory: the leadgate process's peak RSS during a 64-connection insertLeadFast load on
 * server PostgreSQL (duplicate check off; 64 connections against the default 32 admission slots,
 * so the queue is in use too), at most 1.1 × the same-run reference: the bare Hono echo process's
 * peak RSS under the same 64-connection load.
 */
export async function benchMemory(ctx: BenchContext): Promise<BenchResult[]> {
  const pg = await ctx.postgres();
  const url = await pg.freshDatabase('bench_memory');
  const echo = await startStub('echo');
  const leadgate = await startLeadgate('memory', { databaseUrl: url, rulesDir: await writeBasicRules('rules-memory') });
  const load = new LoadGenerator();
  try {
    const path = `${NOOJEE}/insertLeadFast?${TARGET_QUERY}`;
    const echoRss = await rssUnderLoad(load, echo, `${echo.base}${path}`, 'none');
    const lg = await rssUnderLoad(load, leadgate, `${leadgate.base}${path}`, 'single');
    if ((lg.run.codes['0'] ?? 0) !== lg.run.ok2xx) throw new Error(`memory: answers other than code 0: ${JSON.stringify(lg.run.codes)}`);
    const mb = lg.peakMiB * 1.048576;
    return [
      {
        name: 'memory: leadgate RSS at 64 conn (server PG)',
        value: round(mb),
        unit: 'MB peak RSS',
        reference: `${round(echoRss.peakMiB * 1.048576)} MB peak RSS of the bare Hono echo process at 64 conn`,
        ratio: round(lg.peakMiB / echoRss.peakMiB, 2),
        target: '≤ 1.1 × the echo process (SPEC 9)',
        pass: lg.peakMiB <= 1.1 * echoRss.peakMiB,
        detail: `idle ${round(lg.idleMiB * 1.048576)} MB before the load, mean ${round(lg.meanMiB * 1.048576)} MB during it; ${round(lg.run.rps)} inserts/s, ${lg.run.ok2xx} leads`,
      },
    ];
  } finally {
    await load.close();
    await leadgate.stop();
    await echo.stop();
  }
}
