import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostNoojee } from '../cases/noojee-insert-cases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { freePort } from './wrangler.js';
import { FIXTURE_SECRETS, httpNoojee, SKIP_REASON, startWorkerFixture, type WorkerFixture } from './worker-fixture.js';

/**
 * A figure, not a test of speed: per-request latency of the same requests, over loopback HTTP,
 * on workerd (wrangler dev, local Hyperdrive) and on Node (@hono/node-server, a postgres.js
 * pool), each over a fresh clone of the same database and calling the same fake CRM. Printed for
 * the README; only the answers are asserted. Local Hyperdrive does not pool, so every workerd
 * request opens its own PostgreSQL connection, which deployed Hyperdrive keeps warm.
 */
if (SKIP_REASON) console.warn(`test/workers/worker-latency.test.ts ${SKIP_REASON}`);

const ROUNDS = 100;
const WARMUP = 10;

let w: WorkerFixture;
let node: TestApp;
let server: ServerType;
let nodePost: PostNoojee;
beforeAll(async () => {
  if (SKIP_REASON) return;
  w = await startWorkerFixture();
  node = await createTestApp({ rulesDir: w.rulesDir, env: FIXTURE_SECRETS });
  const port = await freePort();
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: node.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
  });
  nodePost = httpNoojee(`http://127.0.0.1:${port}`);
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await node?.close();
  await w?.close();
});

let serial = 0;
const freshMobile = () => `04${String(60_000_000 + serial++ * 7919).slice(-8)}`;

interface Scenario {
  name: string;
  send: (post: PostNoojee) => ReturnType<PostNoojee>;
  code: number;
}
const TAKEN = '0412999001';
const SCENARIOS: Scenario[] = [
  { name: 'refused at the door (401, no database)', send: (post) => post('insertLeadFast', { phone: freshMobile() }, { apiKey: 'wrong' }), code: 401 },
  { name: 'a duplicate phone refused by the store (105, no CRM call)', send: (post) => post('insertLeadFast', { phone: TAKEN }), code: 105 },
  { name: 'a new lead with the duplicate check (the CRM answers at once)', send: (post) => post('insertLeadFast', { phone: freshMobile() }), code: 0 },
];

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `p50 ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, mean ${mean.toFixed(1)} ms`;
}

async function measure(post: PostNoojee, scenario: Scenario): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i += 1) {
    const started = performance.now();
    const res = await scenario.send(post);
    const elapsed = performance.now() - started;
    expect(res.body.code).toBe(scenario.code);
    if (i >= WARMUP) times.push(elapsed);
  }
  return times;
}

describe.skipIf(SKIP_REASON)('per-request latency, workerd vs Node (printed, not asserted)', () => {
  it.each(SCENARIOS)('$name', async (scenario) => {
    w.crm.respond({ json: {} });
    for (const post of [w.post, nodePost]) expect((await post('insertLeadFast', { phone: TAKEN })).body.code).toBeOneOf([0, 105]);
    const workerd = await measure(w.post, scenario);
    const onNode = await measure(nodePost, scenario);
    console.log(`${scenario.name}, ${ROUNDS} sequential requests\n  workerd: ${summary(workerd)}\n  Node:    ${summary(onNode)}`);
  });
});
