/**
 * Diagnosis: what the insert path would cost if the delivery worker had an event loop of its own
 * (a worker thread, or a process of its own on server PostgreSQL). Two leadgate processes share one
 * database with a queue destination: the front takes the insert load and starts no delivery worker
 * (experiments/variant-server.ts), the deliverer takes no requests and delivers what the front
 * queues (it polls every second, as a process whose inserts come from elsewhere does). Closed-loop
 * insertLeadFast at 16 connections in alternating slices against the same variant server on a
 * database with no destination; prints each round's ratio, the deliveries made meanwhile, and the
 * CPU per insert of the front, the deliverer and PostgreSQL.
 *   npx tsx bench/experiments/forward-split.ts [batch=100] [rounds=5]
 */
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { runExperiment } from '../harness/cleanup.js';
import { median } from '../harness/context.js';
import { cpuSeconds, postgresCpuSeconds } from '../harness/cpu.js';
import { openSql, queueCounts, waitForEmptyQueue } from '../harness/delivery-queue.js';
import { allocatePhoneBlocks, NOOJEE, TARGET_QUERY } from '../harness/leads.js';
import { LoadGenerator, type LoadJob } from '../harness/load.js';
import { startThrowawayPostgres } from '../harness/postgres-server.js';
import { settle } from '../harness/seed.js';
import { NOOJEE_STUB_KEY, startLeadgate, startStub, writeBasicRules, writeForwardRules } from '../harness/servers.js';

const [batchText = '100', roundsText = '5'] = process.argv.slice(2);
const SLICE_SECONDS = 4;

async function main() {
  const pg = await startThrowawayPostgres();
  const pgData = `${pg.dir}/data`;
  const plainUrl = await pg.freshDatabase('split_plain');
  const splitUrl = await pg.freshDatabase('split_queue');
  await migratePostgres(plainUrl);
  await migratePostgres(splitUrl);
  const dialer = await startStub('noojee');
  const env = { NOOJEE_API_KEY: NOOJEE_STUB_KEY };
  const rules = await writeForwardRules('rules-split', dialer.base, Number(batchText));
  const plain = await startLeadgate('split-plain', { databaseUrl: plainUrl, rulesDir: await writeBasicRules('rules-split-plain'), env, variant: '' });
  const front = await startLeadgate('split-front', { databaseUrl: splitUrl, rulesDir: rules, env, variant: '' });
  const deliverer = await startLeadgate('split-deliverer', { databaseUrl: splitUrl, rulesDir: rules, env });
  const sql = openSql(splitUrl);
  const load = new LoadGenerator();
  const job = (base: string, durationSec: number): LoadJob => ({
    url: `${base}${NOOJEE}/insertLeadFast?${TARGET_QUERY}`,
    shape: 'single',
    leadsPerRequest: 1,
    connections: 16,
    timeoutSec: 30,
    externalIdPrefix: 'x',
    check: 'single',
    durationSec,
    phoneBlocks: allocatePhoneBlocks(),
  });
  try {
    await load.run(job(plain.base, 2));
    await load.run(job(front.base, 2));
    await waitForEmptyQueue(sql, 60_000);
    await settle(plainUrl);
    await settle(splitUrl);
    const ratios: number[] = [];
    for (let i = 0; i < Number(roundsText); i += 1) {
      await waitForEmptyQueue(sql, 60_000);
      const reference = await load.run(job(plain.base, SLICE_SECONDS));
      const before = { queue: await queueCounts(sql), front: cpuSeconds(front.pid), deliverer: cpuSeconds(deliverer.pid), pg: postgresCpuSeconds(pgData) };
      const run = await load.run(job(front.base, SLICE_SECONDS));
      const after = { queue: await queueCounts(sql), front: cpuSeconds(front.pid), deliverer: cpuSeconds(deliverer.pid), pg: postgresCpuSeconds(pgData) };
      const per = (s: number) => ((s * 1000) / run.ok2xx).toFixed(2);
      ratios.push(run.rps / reference.rps);
      console.log(
        `round ${i + 1}: ${run.rps.toFixed(0)} vs ${reference.rps.toFixed(0)} inserts/s (${(run.rps / reference.rps).toFixed(2)} ×); ` +
          `delivered ${after.queue.delivered - before.queue.delivered} (${((after.queue.delivered - before.queue.delivered) / run.durationSec).toFixed(0)}/s), queue ${before.queue.queued} → ${after.queue.queued}; ` +
          `CPU per insert: front ${per(after.front - before.front)}, deliverer ${per(after.deliverer - before.deliverer)}, PostgreSQL ${per(after.pg - before.pg)} ms`,
      );
    }
    console.log(`median ${median(ratios).toFixed(2)} × (batch ${batchText})`);
  } finally {
    await load.close();
    await sql.end();
    for (const server of [deliverer, front, plain]) await server.stop();
    await dialer.stop();
  }
}

runExperiment(main);
