/**
 * The load generator: autocannon's API in a process of its own (forked by load.ts), so generating
 * requests never competes with leadgate's event loop. It receives jobs over IPC and answers each
 * with its figures. Every request carries fresh phones (see leads.ts); latencies are kept at
 * sub-millisecond precision here (autocannon's own histogram has 1 ms steps).
 */
import autocannon, { type AutocannonOptions, type AutocannonRequest, type AutocannonResult } from 'autocannon';
import { benchLead, phoneOf } from './leads.js';
import type { LoadJob, LoadResult } from './load.js';

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

  const request: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req) => {
      let body: string;
      if (job.shape === 'single') {
        const phone = nextPhone();
        body = JSON.stringify(benchLead(phone, `${job.externalIdPrefix}${phone}`));
      } else {
        const leads = [];
        for (let i = 0; i < leadsPerRequest; i += 1) {
          const phone = nextPhone();
          leads.push(benchLead(phone, `${job.externalIdPrefix}${phone}`));
        }
        body = JSON.stringify(leads);
      }
      return { ...req, body };
    },
    onResponse: (status, body) => {
      if (status < 200 || status >= 300) {
        count(`http${status}`);
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
    },
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
      exhausted,
    };
  };
  const options = { url: job.url, timeout: job.timeoutSec, headers: { 'content-type': 'application/json' }, requests: [request] };

  if (job.paced && job.overallRate) return paced(job, options, onResponse, summary);
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
 * A steady arrival rate: autocannon's own rate limit lets each connection send its whole quota for
 * the second back to back at the start of the second (bursts of `connections` requests at once).
 * Here every connection is an autocannon instance of its own at one request per second, the
 * instances started 1/rate seconds apart, so requests arrive evenly spread over each second.
 */
async function paced(
  job: LoadJob,
  options: Omit<AutocannonOptions, 'connections' | 'duration'>,
  onResponse: (client: unknown, status: number, bytes: number, ms: number) => void,
  summary: (totals: { ok2xx: number; non2xx: number; errors: number; timeouts: number; durationSec: number }) => LoadResult,
): Promise<LoadResult> {
  const rate = Math.min(Math.round(job.overallRate!), 1_000);
  const started = performance.now();
  // Only requests sent between 1.5 s in (every instance started) and 0.3 s before the first
  // instance ends are counted: creating and closing ~100 autocannon instances blocks this process's
  // event loop for a moment, which would show up as latency that the server never caused.
  const from = started + 1_500;
  const until = started + job.durationSec * 1000 - 300;
  const windowed = (client: unknown, status: number, bytes: number, ms: number) => {
    const sent = performance.now() - ms;
    if (sent >= from && sent <= until) onResponse(client, status, bytes, ms);
  };
  const results: Array<Promise<AutocannonResult>> = [];
  for (let i = 0; i < rate; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    results.push(
      new Promise((resolve, reject) => {
        const instance = autocannon({ ...options, connections: 1, overallRate: 1, duration: job.durationSec }, (error, result) => (error ? reject(error) : resolve(result)));
        instance.on('response', windowed);
      }),
    );
  }
  const all = await Promise.all(results);
  const durationSec = (performance.now() - started) / 1000 - 1; // the last instance started ~1 s after the first
  const sum = (f: (r: AutocannonResult) => number) => all.reduce((a, r) => a + f(r), 0);
  return summary({ ok2xx: sum((r) => r['2xx']), non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors), timeouts: sum((r) => r.timeouts), durationSec });
}

process.on('message', (message: { type: 'run'; job: LoadJob }) => {
  if (message.type !== 'run') return;
  run(message.job).then(
    (result) => process.send!({ type: 'result', result }),
    (error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
