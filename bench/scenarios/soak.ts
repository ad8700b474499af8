import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { parse, stringify } from 'yaml';
import type { BenchContext } from '../harness/context.js';
import { round } from '../harness/context.js';
import { allocatePhoneBlocks, BENCH_API_KEY } from '../harness/leads.js';
import { restartPostgres, type PgRestart } from '../harness/pg-restart.js';
import { rssMiB, sleep } from '../harness/procs.js';
import { benchTempDir, startLeadgate, writeCrmRules, type Leadgate } from '../harness/servers.js';
import { startSlowCrm } from '../harness/slow-crm.js';
import { KINDS, SoakTraffic, type Answer, type Kind } from '../harness/soak-traffic.js';
import type { BenchResult } from '../result.js';

/**
 * The soak (issue "Hardening", item 10): leadgate on server PostgreSQL under a paced, bounded mix
 * of everything it serves, for LEADGATE_SOAK_SECONDS (default 600), with CRM timeouts throughout
 * and one PostgreSQL restart (`pg_ctl stop -m immediate`, start 2 s later) in the middle. It is
 * about leaks and correctness, not throughput: the rate is a few percent of what leadgate sustains.
 *
 * Per second at LEADGATE_SOAK_RATE=1 (the mix is in harness/soak-traffic.ts): 10 single inserts
 * (new phones; one in ten gets a CRM answer later than the connect's timeout, so the duplicate
 * check's onError creates it with status CRM_ERROR), 2 updates of accepted leads by
 * njExternalLeadId, 1 signed webhook (hmac-sha256), a deliberate duplicate every 2 s (must be 105),
 * a webhook redelivery and a Convoso search every 5 s, an admin read (decisions, rules, audit in
 * turn) every 3 s and a batch of 50 every 10 s: about 14 requests and 16 new leads a second.
 *
 * Reported: the leadgate process's RSS (/proc) and V8 heap in use (its /metrics) after warm-up
 * against the end of the run, each at most 10 % higher; answers other than the expected ones,
 * none allowed outside the restart window (from the stop to RESTART_GRACE_S after PostgreSQL
 * accepts connections again; inside it 503 / 207 / 109 or no answer are allowed); and, read from
 * the database at the end, accepted leads missing from the store (none allowed), leads stored
 * twice, refused leads stored anyway, and accepted updates missing.
 */

/** how long after PostgreSQL is back answers may still be retryable refusals */
export const RESTART_GRACE_S = 10;
const DOWN_MS = 2_000;
const SAMPLE_EVERY_MS = 1_000;
const CRM_TIMEOUT_MS = 500;
const CRM_SLOW_MS = 1_500;
const CRM_TIMEOUT_PREFIX = 'crmto-';
const ADMIN_TOKEN = 'bench-soak-admin-token';
const HOOK_SECRET = 'bench-soak-hook-secret';
const HOOK_SOURCE = 'soak-form';
const MAX_GROWTH = 0.1;

export function soakSeconds(): number {
  const text = process.env.LEADGATE_SOAK_SECONDS ?? '600';
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 60) throw new Error(`LEADGATE_SOAK_SECONDS=${text}: expected a number of seconds, at least 60`);
  return seconds;
}

function soakRate(): number {
  const text = process.env.LEADGATE_SOAK_RATE ?? '1';
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 20) throw new Error(`LEADGATE_SOAK_RATE=${text}: expected a multiple of the base mix from 0 (exclusive) to 20`);
  return rate;
}

/**
 * Warm-up and the two measurement windows, scaled to the run: warm-up a tenth of the run (at least
 * 15 s, at most 60 s), each window a tenth (at least 10 s, at most 60 s). At 600 s: warm-up 60 s,
 * baseline 60–120 s, end 540–600 s, as the issue describes.
 */
export function soakWindows(seconds: number) {
  const warm = Math.min(60, Math.max(15, seconds / 10));
  const window = Math.min(60, Math.max(10, seconds / 10));
  return { warm, window, baseline: [warm, warm + window] as const, end: [seconds - window, seconds] as const };
}

interface MemorySample {
  /** seconds since the traffic started */
  t: number;
  rssMiB?: number;
  heapUsedMiB?: number;
  externalMiB?: number;
  /** size of the /metrics answer (a label leak would grow it) */
  metricsBytes?: number;
}

const MiB = 2 ** 20;
const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^(?:leadgate_)?${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

async function sampleMemory(leadgate: Leadgate, t: number): Promise<MemorySample> {
  const sample: MemorySample = { t, rssMiB: rssMiB(leadgate.pid) };
  try {
    const res = await fetch(`${leadgate.base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    const heap = metric(text, 'nodejs_heap_size_used_bytes');
    const external = metric(text, 'nodejs_external_memory_bytes');
    sample.heapUsedMiB = heap === undefined ? undefined : heap / MiB;
    sample.externalMiB = external === undefined ? undefined : external / MiB;
    sample.metricsBytes = text.length;
    if (sample.rssMiB === undefined) {
      const rss = metric(text, 'process_resident_memory_bytes');
      sample.rssMiB = rss === undefined ? undefined : rss / MiB;
    }
  } catch {
    // a missed sample; the others carry the window
  }
  return sample;
}

const mean = (values: number[]) => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
const fmt1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The basic rules with the CRM duplicate check (servers.ts), its connect's timeout cut to CRM_TIMEOUT_MS, plus a signed webhook source. */
async function writeSoakRules(crmUrl: string): Promise<string> {
  const dir = await writeCrmRules('rules-soak', crmUrl);
  const connectFile = join(dir, 'connects/crm.yaml');
  const connect = parse(await readFile(connectFile, 'utf8')) as Record<string, unknown>;
  await writeFile(connectFile, stringify({ ...connect, timeoutMs: CRM_TIMEOUT_MS, retries: 0 }));
  await mkdir(join(dir, 'sources'), { recursive: true });
  await writeFile(
    join(dir, `sources/${HOOK_SOURCE}.yaml`),
    stringify({
      version: 1,
      target: { templateId: 1, campaignId: 10, allocationId: 100 },
      signature: { scheme: 'hmac-sha256', secrets: ['${env:SOAK_HOOK_SECRET}'] },
      eventId: '$.eventId',
      fields: { phone: '$.lead.phone', firstName: '$.lead.firstName', njExternalLeadId: '$.lead.id' },
      action: 'insert',
    }),
  );
  return dir;
}

export async function benchSoak(ctx: BenchContext): Promise<BenchResult[]> {
  const seconds = soakSeconds();
  const rate = soakRate();
  const windows = soakWindows(seconds);
  const pg = await ctx.postgres();
  const url = await pg.freshDatabase('bench_soak');
  const crm = await startSlowCrm(CRM_TIMEOUT_PREFIX, CRM_SLOW_MS);
  let leadgate: Leadgate | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    leadgate = await startLeadgate('soak', {
      databaseUrl: url,
      rulesDir: await writeSoakRules(crm.base),
      env: { LEADGATE_ADMIN_TOKEN: ADMIN_TOKEN, SOAK_HOOK_SECRET: HOOK_SECRET },
    });
    const lg = leadgate;
    const traffic = new SoakTraffic({
      base: lg.base,
      apiKey: BENCH_API_KEY,
      adminToken: ADMIN_TOKEN,
      hookSource: HOOK_SOURCE,
      hookSecret: HOOK_SECRET,
      phoneBlocks: allocatePhoneBlocks(),
      crmTimeoutPrefix: CRM_TIMEOUT_PREFIX,
      maxInFlight: 24,
      maxQueued: 2_000,
      requestTimeoutMs: 30_000,
      batchSize: 50,
      seed: 20261201,
    });

    // memory, every SAMPLE_EVERY_MS from the first request on
    const started = Date.now();
    const samples: MemorySample[] = [];
    const pendingSamples = new Set<Promise<void>>();
    const takeSample = () => {
      const p = sampleMemory(lg, (Date.now() - started) / 1000).then((s) => {
        samples.push(s);
      });
      pendingSamples.add(p);
      void p.finally(() => pendingSamples.delete(p));
    };
    takeSample();
    sampler = setInterval(takeSample, SAMPLE_EVERY_MS);

    // the traffic, tick by tick (100 ms / rate), and the restart half-way through
    const tickMs = 100 / rate;
    const restartAtTick = Math.round((seconds * 1000) / 2 / tickMs);
    let restart: Promise<PgRestart> | undefined;
    let lastProgress = started;
    console.error(`  soak: ${seconds} s at rate ${rate}; PostgreSQL restart at ${seconds / 2} s; memory baseline ${windows.baseline.join('–')} s, end ${windows.end.join('–')} s`);
    for (let tick = 0; ; tick += 1) {
      const due = started + tick * tickMs;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (due - started >= seconds * 1000) break;
      if (tick === restartAtTick) {
        restart = restartPostgres(pg, DOWN_MS);
        // the restart must not throw unobserved while the ticks go on; it is awaited below
        restart.catch(() => undefined);
      }
      traffic.tick(tick);
      if (Date.now() - lastProgress >= 30_000) {
        lastProgress = Date.now();
        const last = samples.at(-1);
        console.error(
          `  soak: ${Math.round((Date.now() - started) / 1000)} s, ${traffic.answers.length} answers, ${traffic.leads.size} leads accepted, ${traffic.pending} pending; ` +
            `RSS ${fmt1(last?.rssMiB ?? NaN)} MiB, heap ${fmt1(last?.heapUsedMiB ?? NaN)} MiB`,
        );
      }
    }
    clearInterval(sampler);
    sampler = undefined;
    await Promise.all(pendingSamples);
    const trafficSeconds = (Date.now() - started) / 1000;
    const drained = await traffic.drain(40_000);
    if (!restart) throw new Error('soak: the run ended before the PostgreSQL restart');
    const pgRestart = await restart;

    // ---- answers: expected, allowed in the restart window, or unexpected ----
    const windowStart = pgRestart.stopAt;
    const windowEnd = pgRestart.backAt + RESTART_GRACE_S * 1000;
    const inWindow = (a: Answer) => a.sentAt < windowEnd && a.doneAt > windowStart;
    const byKind: Record<string, { sent: number; unexpected: number; inWindow: number }> = {};
    const unexpected: Answer[] = [];
    const allowed: Answer[] = [];
    const unexpectedInWindow: Answer[] = [];
    for (const kind of KINDS) byKind[kind] = { sent: 0, unexpected: 0, inWindow: 0 };
    for (const a of traffic.answers) {
      const k = byKind[a.kind]!;
      k.sent += 1;
      if (!a.wrong) continue;
      if (!inWindow(a)) {
        unexpected.push(a);
        k.unexpected += 1;
      } else if (a.retryable) {
        allowed.push(a);
        k.inWindow += 1;
      } else unexpectedInWindow.push(a);
    }
    const backAfterRestart = traffic.answers
      .filter((a) => !a.wrong && a.sentAt >= pgRestart.backAt && (a.kind === 'insert' || a.kind === 'insert-crm-timeout'))
      .reduce((min, a) => Math.min(min, a.doneAt), Infinity);
    const lastRefusal = allowed.reduce((max, a) => Math.max(max, a.doneAt), -Infinity);
    const describe = (list: Answer[]) => {
      const counts: Record<string, number> = {};
      for (const a of list) {
        const key = `${a.kind}: ${a.wrong}`.slice(0, 160);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return Object.entries(counts)
        .sort((x, y) => y[1] - x[1])
        .slice(0, 6)
        .map(([k, v]) => `${v}× ${k}`)
        .join('; ');
    };
    const latencies = (kinds: Kind[]) =>
      traffic.answers
        .filter((a) => kinds.includes(a.kind) && !a.wrong && !inWindow(a))
        .map((a) => a.doneAt - a.sentAt)
        .sort((x, y) => x - y);
    const fastInserts = latencies(['insert']);
    const timeoutInserts = latencies(['insert-crm-timeout']);
    const batches = latencies(['batch']);

    // ---- the store: every accepted lead there once, nothing refused stored ----
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    let store: { missing: string[]; wrongId: number; twiceByExt: number; twiceByPhone: number; refusedStored: string[]; duplicatesStored: number; updatesMissing: number; updatesChecked: number; crmError: number; crmErrorExpected: number; crmErrorMissing: number; crmErrorUnplanned: number; total: number };
    try {
      const exts = [...traffic.leads.keys(), ...traffic.refused.keys(), ...traffic.duplicates];
      type Row = { id: string; external_id: string; status: string | null; version: number; created_at: Date };
      const rows = await sql<Row[]>`select id::text, external_id, status, version, created_at from leads where external_id = any(${exts})`;
      const byExt = new Map<string, Row[]>();
      for (const r of rows) byExt.set(r.external_id, [...(byExt.get(r.external_id) ?? []), r]);
      const missing: string[] = [];
      let wrongId = 0;
      let updatesMissing = 0;
      let updatesChecked = 0;
      let crmErrorExpected = 0;
      let crmErrorMissing = 0;
      let crmErrorUnplanned = 0;
      for (const lead of traffic.leads.values()) {
        const found = byExt.get(lead.ext) ?? [];
        const row = found.find((r) => r.id === lead.leadId);
        if (found.length === 0) missing.push(`${lead.ext} (lead ${lead.leadId}, ${lead.via})`);
        else if (!row) wrongId += 1;
        if (row && lead.updatesUnsure === 0 && lead.updatesOk > 0) {
          updatesChecked += 1;
          if (row.version !== 1 + lead.updatesOk) updatesMissing += Math.max(0, 1 + lead.updatesOk - row.version);
        }
        if (lead.crmTimeout) {
          crmErrorExpected += 1;
          if (row && row.status !== 'CRM_ERROR') crmErrorMissing += 1;
        } else if (row?.status === 'CRM_ERROR') crmErrorUnplanned += 1;
      }
      const [twiceExt] = await sql<{ n: number }[]>`
        select count(*)::int as n from (select external_id from leads where external_id is not null group by external_id having count(*) > 1) t`;
      const [twicePhone] = await sql<{ n: number }[]>`
        select count(*)::int as n from (select campaign_id, e164 from leads, unnest(phones) as e164 group by campaign_id, e164 having count(*) > 1) t`;
      const [crmError] = await sql<{ n: number }[]>`select count(*)::int as n from leads where status = 'CRM_ERROR'`;
      const [total] = await sql<{ n: number }[]>`select count(*)::int as n from leads`;
      store = {
        missing,
        wrongId,
        twiceByExt: twiceExt?.n ?? 0,
        twiceByPhone: twicePhone?.n ?? 0,
        // "nothing written" answers whose lead is there anyway: which request, when, and when the row was made
        refusedStored: [...traffic.refused]
          .filter(([e]) => byExt.has(e))
          .map(([e, a]) => {
            const row = byExt.get(e)![0]!;
            return `${a.kind} ${e} sent at ${((a.sentAt - started) / 1000).toFixed(2)} s, answered at ${((a.doneAt - started) / 1000).toFixed(2)} s (${a.wrong}), row created at ${((row.created_at.getTime() - started) / 1000).toFixed(2)} s`;
          }),
        duplicatesStored: [...traffic.duplicates].filter((e) => byExt.has(e)).length,
        updatesMissing,
        updatesChecked,
        crmError: crmError?.n ?? 0,
        crmErrorExpected,
        crmErrorMissing,
        crmErrorUnplanned,
        total: total?.n ?? 0,
      };
    } finally {
      await sql.end({ timeout: 5 });
    }

    // the answers, for diagnosis (kept with BENCH_KEEP=1)
    const temp = await benchTempDir();
    await writeFile(join(temp, 'soak-answers.jsonl'), traffic.answers.map((a) => JSON.stringify({ ...a, sentAt: (a.sentAt - started) / 1000, doneAt: (a.doneAt - started) / 1000 })).join('\n') + '\n');
    await writeFile(join(temp, 'soak-memory.jsonl'), samples.map((m) => JSON.stringify(m)).join('\n') + '\n');

    // ---- memory ----
    const within = (range: readonly [number, number]) => samples.filter((s) => s.t >= range[0] && s.t <= range[1]);
    const base = within(windows.baseline);
    const end = within(windows.end);
    const pick = (list: MemorySample[], key: 'rssMiB' | 'heapUsedMiB' | 'externalMiB' | 'metricsBytes') => list.map((s) => s[key]).filter((v): v is number => v !== undefined);
    const memory = (key: 'rssMiB' | 'heapUsedMiB') => {
      const b = pick(base, key);
      const e = pick(end, key);
      const growth = mean(e) / mean(b) - 1;
      return { base: mean(b), end: mean(e), baseMin: Math.min(...b), endMin: Math.min(...e), growth, samples: `${b.length}/${e.length}`, peak: Math.max(...pick(samples, key)) };
    };
    const rss = memory('rssMiB');
    const heap = memory('heapUsedMiB');
    const external = { base: mean(pick(base, 'externalMiB')), end: mean(pick(end, 'externalMiB')) };
    const metricsSize = { base: mean(pick(base, 'metricsBytes')), end: mean(pick(end, 'metricsBytes')) };

    const t = (ms: number) => ((ms - started) / 1000).toFixed(1);
    const restartText =
      `PostgreSQL stopped (immediate) at ${t(pgRestart.stopAt)} s, down after ${((pgRestart.stoppedAt - pgRestart.stopAt) / 1000).toFixed(1)} s, started at ${t(pgRestart.startAt)} s, ` +
      `accepting again at ${t(pgRestart.backAt)} s; window ${t(windowStart)}–${t(windowEnd)} s (back + ${RESTART_GRACE_S} s)`;
    const counts = `${traffic.answers.length} requests in ${trafficSeconds.toFixed(0)} s (${Object.entries(byKind)
      .map(([k, v]) => `${k} ${v.sent}`)
      .join(', ')}); ${traffic.leads.size} leads accepted`;
    const client = `client: at most 24 in flight, ${traffic.maxQueued} queued at most, dropped ${JSON.stringify(traffic.dropped)}${drained ? '' : ', NOT drained after 40 s'}`;
    const memDetail = (m: typeof rss, what: string) =>
      `${what} mean ${fmt1(m.base)} MiB (${windows.baseline.join('–')} s) → ${fmt1(m.end)} MiB (${windows.end.join('–')} s), min ${fmt1(m.baseMin)} → ${fmt1(m.endMin)}, peak ${fmt1(m.peak)}, samples ${m.samples}`;
    const memoryOk = (m: typeof rss) => Number.isFinite(m.growth) && m.growth <= MAX_GROWTH;
    const pct = (g: number) => round(g * 100, 1);
    const answered = traffic.answers.length;
    const missingCount = store.missing.length + store.wrongId;

    return [
      {
        name: 'soak: leadgate RSS growth, end vs after warm-up',
        value: pct(rss.growth),
        unit: `% (${seconds} s soak, server PG, one restart)`,
        reference: `${fmt1(rss.base)} MiB after warm-up, ${fmt1(rss.end)} MiB at the end`,
        ratio: round(rss.end / rss.base, 3),
        target: '≤ 10 %',
        pass: memoryOk(rss),
        detail: `${memDetail(rss, 'RSS')}; external ${fmt1(external.base)} → ${fmt1(external.end)} MiB; /metrics ${Math.round(metricsSize.base)} → ${Math.round(metricsSize.end)} bytes; ${counts}`,
      },
      {
        name: 'soak: leadgate V8 heap in use, end vs after warm-up',
        value: pct(heap.growth),
        unit: `% (${seconds} s soak)`,
        reference: `${fmt1(heap.base)} MiB after warm-up, ${fmt1(heap.end)} MiB at the end`,
        ratio: round(heap.end / heap.base, 3),
        target: '≤ 10 %',
        pass: memoryOk(heap),
        detail: `${memDetail(heap, 'nodejs_heap_size_used_bytes')}; sampled every ${SAMPLE_EVERY_MS / 1000} s from /metrics (the mean of a GC sawtooth: the min is the floor)`,
      },
      {
        name: 'soak: unexpected answers outside the restart window',
        value: unexpected.length,
        unit: `of ${answered} answers`,
        reference: `${allowed.length} retryable refusals (503/207/109/no answer) inside the window, ${unexpectedInWindow.length} other unexpected answers inside it`,
        ratio: round(unexpected.length / Math.max(1, answered), 4),
        target: '0 outside the window; inside only 503/207/109',
        pass: unexpected.length === 0 && unexpectedInWindow.length === 0,
        detail:
          `${restartText}; first accepted insert sent after the restart answered at ${Number.isFinite(backAfterRestart) ? `${t(backAfterRestart)} s` : 'never'}, last refusal at ${Number.isFinite(lastRefusal) ? `${t(lastRefusal)} s` : '-'}; ` +
          `outside: ${unexpected.length === 0 ? 'none' : describe(unexpected)}; inside, allowed: ${allowed.length === 0 ? 'none' : describe(allowed)}; inside, not allowed: ${unexpectedInWindow.length === 0 ? 'none' : describe(unexpectedInWindow)}; ` +
          `latency outside the window p50/p99/max: insert ${quantile(fastInserts, 0.5)}/${quantile(fastInserts, 0.99)}/${fastInserts.at(-1) ?? '-'} ms, ` +
          `insert with CRM timeout (${CRM_TIMEOUT_MS} ms) ${quantile(timeoutInserts, 0.5)}/${quantile(timeoutInserts, 0.99)}/${timeoutInserts.at(-1) ?? '-'} ms, batch of 50 ${quantile(batches, 0.5)}/${quantile(batches, 0.99)}/${batches.at(-1) ?? '-'} ms; ${client}`,
      },
      {
        name: 'soak: accepted leads missing from the store',
        value: missingCount,
        unit: `of ${traffic.leads.size} leads answered 0`,
        reference: `${store.total} leads in the database`,
        ratio: round(missingCount / Math.max(1, traffic.leads.size), 4),
        target: '0 (and none stored twice)',
        pass: missingCount === 0 && store.twiceByExt === 0 && store.twiceByPhone === 0 && store.duplicatesStored === 0 && store.updatesMissing === 0,
        detail:
          `missing ${store.missing.length}${store.missing.length > 0 ? ` (${store.missing.slice(0, 5).join(', ')})` : ''}, stored under another id ${store.wrongId}; ` +
          `external ids stored twice ${store.twiceByExt}, phones stored twice in a campaign ${store.twiceByPhone}; deliberate duplicates stored ${store.duplicatesStored} of ${traffic.duplicates.size}; ` +
          `accepted updates missing ${store.updatesMissing} (versions checked on ${store.updatesChecked} leads); ` +
          `CRM timeouts: ${crm.counts().slow} slow CRM answers, ${store.crmError} leads with status CRM_ERROR, ${store.crmErrorExpected} expected, ${store.crmErrorMissing} of those without it, ${store.crmErrorUnplanned} on leads whose CRM answered at once (a loaded machine past the ${CRM_TIMEOUT_MS} ms timeout)`,
      },
      {
        // not one of the issue's criteria: a lead PostgreSQL committed while it was being killed,
        // whose answer never reached leadgate, so leadgate answered 207 ("nothing written")
        name: 'soak: leads answered 207/503 (nothing written) yet stored',
        value: store.refusedStored.length,
        unit: `of ${traffic.refused.size} leads refused with 207/503`,
        reference: 'the immediate stop kills backends between commit and answer',
        ratio: round(store.refusedStored.length / Math.max(1, traffic.refused.size), 4),
        target: 'report',
        pass: true,
        detail: store.refusedStored.length === 0 ? 'none' : store.refusedStored.slice(0, 5).join('; '),
      },
    ];
  } finally {
    if (sampler) clearInterval(sampler);
    await leadgate?.stop();
    await crm.close();
  }
}
