/**
 * The load generator, in a process of its own (forked by load.ts), so generating requests never
 * competes with leadgate's event loop: autocannon for closed-loop and rate-limited loads, an undici
 * Pool for paced ones (see `paced`). It receives jobs over IPC and answers each
 * with its figures. Every request carries fresh phones (see leads.ts); latencies are kept at
 * sub-millisecond precision here (autocannon's own histogram has 1 ms steps).
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { Pool } from 'undici';
import { benchLead, phoneOf } from './leads.js';
import { paceRequests } from './pace.js';
import type { LoadJob, LoadResult } from './load.js';

/** how many requests back a resent phone is at the least (long since answered at 16 connections), and over how many it spreads */
const RESEND_LAG = 256;
const RESEND_SPAN = 5000;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function run(job: LoadJob): Promise<LoadResult> {
  let n = 0;
  let exhausted = false;
  const nextPhone = () => {
    const phone = phoneOf(job.phoneBlocks, n);
    if (phone === undefined) {
      exhausted = true;
      return phoneOf(job.phoneBlocks, 0)!;
    }
    n += 1;
    return phone;
  };
  const codes: Record<string, number> = {};
  let leadsOk = 0;
  const count = (code: string, by = 1) => {
    codes[code] = (codes[code] ?? 0) + by;
  };
  const leadsPerRequest = job.leadsPerRequest;

  let requests = 0;
  let resent = 0;
  /** a phone sent RESEND_LAG or more requests ago, spread over the last RESEND_SPAN */
  const resentPhone = (): string | undefined => {
    const sent = n - RESEND_LAG;
    if (!job.resendEvery || requests % job.resendEvery !== 0 || sent <= 0) return undefined;
    return phoneOf(job.phoneBlocks, sent - 1 - ((requests * 7919) % Math.min(sent, RESEND_SPAN)));
  };
  const nextBody = () => {
    if (job.shape === 'single') {
      requests += 1;
      const phoneAgain = resentPhone();
      if (phoneAgain) {
        resent += 1;
        return JSON.stringify(benchLead(phoneAgain, `${job.externalIdPrefix}r${requests}`));
      }
      const phone = nextPhone();
      return JSON.stringify(benchLead(phone, `${job.externalIdPrefix}${phone}`));
    }
    const leads = [];
    for (let i = 0; i < leadsPerRequest; i += 1) {
      const phone = nextPhone();
      leads.push(benchLead(phone, `${job.externalIdPrefix}${phone}`));
    }
    return JSON.stringify(leads);
  };
  const check = (status: number, body: string) => {
    if (status < 200 || status >= 300) {
      // a single lead's refusal (Noojee answers 105, 104… with 400) says its code too
      const code = job.check === 'single' ? /"code":(\d+)/.exec(body)?.[1] : undefined;
      count(code ? `http${status}:${code}` : `http${status}`);
      return;
    }
    if (job.check === 'none') return;
    if (job.check === 'single') {
      const code = /"code":(\d+)/.exec(body)?.[1] ?? 'unparsed';
      count(code);
      if (code === '0') leadsOk += 1;
    } else {
      try {
        const counts = (JSON.parse(body) as { counts?: Record<string, number> }).counts ?? {};
        for (const [code, k] of Object.entries(counts)) count(code, k);
        leadsOk += counts['0'] ?? 0;
      } catch {
        count('unparsed');
      }
    }
  };
  const request: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req) => ({ ...req, body: nextBody() }),
    onResponse: check,
  };

  const latencies: number[] = [];
  const onResponse = (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  };
  const summary = (totals: { ok2xx: number; non2xx: number; errors: number; timeouts: number; durationSec: number }): LoadResult => {
    const sorted = Float64Array.from(latencies).sort();
    const mean = sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN;
    return {
      ...totals,
      rps: totals.ok2xx / totals.durationSec,
      latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, mean },
      codes,
      leadsOk,
      leadsPerSec: leadsOk / totals.durationSec,
      phonesUsed: n,
      resent,
      exhausted,
    };
  };
  if (job.paced && job.overallRate) return paced(job, nextBody, check, latencies).then((totals) => summary({ ...totals, timeouts: 0 }));
  const options = { url: job.url, timeout: job.timeoutSec, headers: { 'content-type': 'application/json' }, requests: [request] };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { ...options, connections: job.connections, duration: job.durationSec, ...(job.overallRate ? { overallRate: job.overallRate } : {}) },
      (error, result) => {
        if (error) reject(error);
        else resolve(summary({ ok2xx: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, durationSec: result.duration }));
      },
    );
    instance.on('response', onResponse);
  });
}

/**
 * A steady arrival rate, sent and timed as the floor client does it (harness/floor-client.ts, on
 * the same schedule: pace.ts), over an undici Pool of `connections` keep-alive connections; a
 * request's latency runs from its start, waiting for a free connection included.
 *
 * It replaced one autocannon instance per request per second (some 500 connections at the
 * duplicate-check rate). In some slices that load worker stalled: arrivals at leadgate came in
 * bursts of 500 and gaps of none per quarter second while leadgate's log showed every answer
 * within 500 ms, and the slice's p99 read 1.8-2.2 s (npm run bench -- dupcheck, three runs).
 */
async function paced(job: LoadJob, nextBody: () => string, check: (status: number, body: string) => void, latencies: number[]) {
  const rate = job.overallRate!;
  const target = new URL(job.url);
  const pool = new Pool(target.origin, { connections: job.connections, headersTimeout: job.timeoutSec * 1000, bodyTimeout: job.timeoutSec * 1000 });
  const totals = { ok2xx: 0, non2xx: 0, errors: 0 };
  const path = target.pathname + target.search;
  const one = async (body: string) => {
    const start = performance.now();
    try {
      const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.body.text();
      check(res.statusCode, text);
      if (res.statusCode >= 200 && res.statusCode < 300) {
        totals.ok2xx += 1;
        latencies.push(performance.now() - start);
      } else totals.non2xx += 1;
    } catch {
      totals.errors += 1;
    }
  };
  let durationSec: number;
  try {
    durationSec = await paceRequests(rate, Math.round(rate * job.durationSec), () => one(nextBody()));
  } finally {
    await pool.close();
  }
  return { ...totals, durationSec };
}

process.on('message', (message: { type: 'run'; job: LoadJob }) => {
  if (message.type !== 'run') return;
  run(message.job).then(
    (result) => process.send!({ type: 'result', result }),
    (error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
