/**
 * Diagnosis: what one CRM call costs leadgate, without HTTP in front or a database behind. The
 * product's CRM client (createCrmClient over the undici transport, the benchmark's connect) against
 * a bare undici Pool.request that sends the same bytes, both at 16 calls in flight to the
 * loopback CRM stub, alternating slices; CPU per call of this process from /proc/self/schedstat.
 *   npx tsx bench/experiments/crm-call.ts [slices=4] [calls=20000] [variant-regex]
 */
import { Pool } from 'undici';
import { createCrmClient } from '../../src/crm/call-crm.js';
import { compileConnect } from '../../src/crm/compile-connect.js';
import { createUndiciTransport } from '../../src/crm/undici-transport.js';
import { runCleanups } from '../harness/cleanup.js';
import { preciseCpuSeconds, syscalls } from '../harness/cpu.js';
import { benchCrmConnect, startStub } from '../harness/servers.js';

const [slices = 4, calls = 20_000] = process.argv.slice(2, 4).map(Number);
const only = new RegExp(process.argv[4] ?? '.');
const IN_FLIGHT = 16;

const crm = await startStub('crm');
try {
  const compiled = compileConnect(
    benchCrmConnect(crm.base),
    'connects/crm.yaml',
    { CRM_TOKEN: 'bench-token' },
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const connect = compiled.connect;
  const transport = createUndiciTransport();
  const client = createCrmClient({ transport });
  const bare = new Pool(crm.base);
  const lead = (i: number) => ({ phone: `+6141${String(i).padStart(7, '0')}`, email: `x${i}@example.com`, njExternalLeadId: `e${i}` });

  const product = async (i: number) => {
    const outcome = await client.call(connect, lead(i));
    if (!outcome.ok) throw new Error(`CRM call failed: ${outcome.reason} ${outcome.detail}`);
  };
  const undici = async (i: number) => {
    const res = await bare.request({
      path: '/api/leads/lookup',
      method: 'POST',
      headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'leadgate', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ phone_number: lead(i).phone, contact: { email: lead(i).email }, external_id: lead(i).njExternalLeadId }),
    });
    JSON.parse(await res.body.text());
  };

  const undiciSignal = async (i: number) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2_000);
    try {
      const res = await bare.request({
        path: '/api/leads/lookup',
        method: 'POST',
        headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'leadgate', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ phone_number: lead(i).phone, contact: { email: lead(i).email }, external_id: lead(i).njExternalLeadId }),
        signal: controller.signal,
      });
      JSON.parse(await res.body.text());
    } finally {
      clearTimeout(timer);
    }
  };
  const measure = async (fn: (i: number) => Promise<void>) => {
    let next = 0;
    const cpu0 = preciseCpuSeconds(process.pid);
    const io0 = syscalls(process.pid);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < calls) await fn(next++);
    }));
    const io = syscalls(process.pid);
    return { cpuUs: ((preciseCpuSeconds(process.pid) - cpu0) * 1e6) / calls, perSec: calls / ((performance.now() - t0) / 1000), writes: (io.writes - io0.writes) / calls };
  };
  const variants = Object.fromEntries(Object.entries({ product, undici, 'undici + AbortSignal': undiciSignal }).filter(([name]) => only.test(name)));
  for (const fn of Object.values(variants)) await measure(fn);
  const rows: Record<string, Array<{ cpuUs: number; perSec: number; writes: number }>> = {};
  for (let s = 0; s < slices; s += 1) {
    for (const [name, fn] of Object.entries(variants)) (rows[name] ??= []).push(await measure(fn));
  }
  for (const [name, r] of Object.entries(rows)) {
    const cpu = r.map((x) => x.cpuUs).sort((a, b) => a - b);
    console.log(`${name}: ${cpu[Math.floor(cpu.length / 2)]!.toFixed(1)} µs CPU per call (slices ${r.map((x) => x.cpuUs.toFixed(0)).join('/')}), ${r.map((x) => Math.round(x.perSec)).join('/')} calls/s, ${r[0]!.writes.toFixed(2)} writes per call`);
  }
  await transport.close();
  await bare.close();
} finally {
  await crm.stop();
  await runCleanups();
}
