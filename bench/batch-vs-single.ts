import { pathToFileURL } from 'node:url';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/entry/logger.js';
import { createApiKeyCheck } from '../src/http/api-keys.js';
import { compileRuleSet } from '../src/ruleset/rule-set.js';
import { readRulesDir } from '../src/ruleset/read-rules-dir.js';
import { RulesHolder } from '../src/ruleset/rules-holder.js';
import { openPgliteBackend } from '../src/store/backends/pglite.js';
import { openPostgresBackend } from '../src/store/backends/postgres.js';
import { buildNodeDeps } from '../src/entry/node-deps.js';
import type { BenchResult } from './result.js';

const LEADS = 1000;
const URL_BASE = '/servicemanager/rest/CampaignAPI';
const QUERY = '?apiKey=bench&fTemplateId=1&fCampaignId=10&fAllocationId=100';

/**
 * insertLeadsFast with 1,000 leads against 1,000 insertLeadFast calls of the same leads, in process
 * on the same store, duplicate check off: the batch must cost far less than the loop (SPEC 2.2).
 */
export async function benchBatchVsSingle(databaseUrl = process.env.BENCH_DATABASE_URL): Promise<BenchResult> {
  const backend = databaseUrl ? await openPostgresBackend(databaseUrl) : await openPgliteBackend();
  let deps: ReturnType<typeof buildNodeDeps> | undefined;
  try {
    await backend.runner.query('truncate leads, phone_claims, dnc cascade');
    const loaded = compileRuleSet(await readRulesDir(new URL('../rules', import.meta.url).pathname));
    if (!loaded.ok) throw new Error('demo rules do not load');
    const rules = new RulesHolder({ ...loaded.rules, duplicateCheck: undefined });
    deps = buildNodeDeps({
      backend,
      rules,
      logger: createLogger('silent'),
      config: { isApiKey: createApiKeyCheck(['bench']), maxBatch: 10_000, maxBodyBytes: 10 << 20, demo: false, adminToken: undefined },
      admission: { slots: 32, queueTimeoutMs: 60_000 },
    });
    const app = createApp(deps);
    const lead = (i: number, round: number) => ({ phone: `04${String(10_000_000 + round * LEADS + i)}`, surname: `Bench ${i}`, njExternalLeadId: `${round}-${i}` });
    const post = (endpoint: string, body: unknown) =>
      Promise.resolve(app.request(`${URL_BASE}/${endpoint}${QUERY}`, { method: 'POST', body: JSON.stringify(body) })).then((r) => r.json() as Promise<{ code: number; counts?: Record<string, number> }>);

    // warm-up: prepared statements, JIT
    for (let i = 0; i < 50; i += 1) await post('insertLeadFast', lead(i, 0));
    await post('insertLeadsFast', Array.from({ length: 100 }, (_, i) => lead(i + 100, 0)));

    let started = performance.now();
    for (let i = 0; i < LEADS; i += 1) {
      const answer = await post('insertLeadFast', lead(i, 1));
      if (answer.code !== 0) throw new Error(`single insert answered ${answer.code}`);
    }
    const singleMs = performance.now() - started;

    started = performance.now();
    const batch = await post('insertLeadsFast', Array.from({ length: LEADS }, (_, i) => lead(i, 2)));
    const batchMs = performance.now() - started;
    if (batch.counts?.['0'] !== LEADS) throw new Error(`batch answered ${JSON.stringify(batch.counts)}`);

    const ratio = singleMs / batchMs;
    return {
      name: `batch vs single (${backend.kind}, in process)`,
      value: Math.round(LEADS / (batchMs / 1000)),
      unit: 'leads/s in a 1,000-lead batch',
      reference: `${Math.round(LEADS / (singleMs / 1000))} leads/s as 1,000 single calls`,
      ratio: Math.round(ratio * 10) / 10,
      target: '≥ 5× the single-call rate',
      pass: ratio >= 5,
    };
  } finally {
    await deps?.close();
    await backend.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await benchBatchVsSingle());
}
