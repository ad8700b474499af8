/**
 * Diagnosis of leadgate's per-request CPU on the single-insert path: what reading the body through
 * the web ReadableStream (src/http/read-body.ts: request.body.getReader()) costs on
 * @hono/node-server, against hono's c.req.json(), measured on two bare echo servers at 16
 * connections, alternating slices. CPU per request from /proc.
 *   npx tsx bench/experiments/body-read.ts [rounds=3]
 */
import { runExperiment } from '../harness/cleanup.js';
import { cpuMeter } from '../harness/cpu.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator } from '../harness/load.js';
import { startStub } from '../harness/servers.js';

async function main() {
  const rounds = Number(process.argv[2] ?? 3);
  const servers = [await startStub('echo'), await startStub('echo-stream'), await startStub('echo-incoming')];
  const load = new LoadGenerator();
  const stats = servers.map(() => ({ rps: [] as number[], cpuUs: [] as number[] }));
  const job = (base: string, durationSec: number) => ({
    url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
    shape: 'single' as const,
    leadsPerRequest: 1,
    connections: 16,
    durationSec,
    timeoutSec: 30,
    phoneBlocks: allocatePhoneBlocks(),
    externalIdPrefix: 'e',
    check: 'none' as const,
  });
  for (const s of servers) await load.run(job(s.base, 2));
  for (let r = 0; r < rounds; r += 1) {
    for (const [i, s] of servers.entries()) {
      const cpu = cpuMeter(s.pid, undefined);
      const result = await load.run(job(s.base, 4));
      const used = cpu.stop();
      stats[i]!.rps.push(result.rps);
      stats[i]!.cpuUs.push((used.leadgate * 1e6) / result.ok2xx);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  ['c.req.json()', 'body.getReader()', 'c.env.incoming (Node stream)'].forEach((name, i) =>
    console.log(`${name.padEnd(34)} ${median(stats[i]!.rps).toFixed(0)} req/s, ${median(stats[i]!.cpuUs).toFixed(0)} µs CPU per request (${stats[i]!.cpuUs.map((x) => x.toFixed(0)).join('/')})`),
  );
  await load.close();
  for (const s of servers) await s.stop();
}

runExperiment(main);
