import { createCircuitBreaker, type Admission, type CallHealth, type CircuitBreaker, type CircuitState } from '../crm/circuit-breaker.js';
import type { CrmTransport } from '../crm/transport.js';
import type { Logger } from '../lib/logger.js';
import type { RuleSet } from '../ruleset/rule-set.js';
import type { RulesProvider } from '../ruleset/rules-holder.js';
import { attemptRequestOf } from './attempt-request.js';
import { dncForwarding } from './dnc-forwarding.js';
import { dialerKind } from './kinds/dialer-kind.js';
import type {
  AttemptOutcome,
  AttemptResult,
  ClaimedCall,
  ClaimLimits,
  CompiledDestination,
  DeliveryLead,
  DeliverySettlement,
  DeliveryState,
  DeliveryStore,
} from './ports.js';
import { sendCall } from './send-call.js';
import { settlementOf } from './settlement.js';

/** Where the worker reports attempts and circuit changes (Prometheus on Node). */
export interface DeliveryMetricsSink {
  recordDeliveryAttempt(destination: string, outcome: AttemptOutcome, latencyMs: number): void;
  setDeliveryCircuit(destination: string, state: CircuitState): void;
}

export interface DeliveryWorkerOptions {
  store: DeliveryStore;
  /** the rules in use, read at every claim so a reload applies at once */
  rules: RulesProvider;
  transport: CrmTransport;
  logger: Logger;
  metrics?: DeliveryMetricsSink;
  /** how often idle destinations are polled for due work (deliveries made elsewhere, retries coming due) */
  pollMs?: number;
  /** beyond twice the attempt timeout, how long a claim holds its slot should its process die mid-call (default 30 s) */
  leaseMarginMs?: number;
  random?: () => number;
  now?: () => number;
}

/** Sync mode's view of the first attempt (SPEC 10.4). */
export type SyncVerdict =
  | { kind: 'attempted'; destination: string; result: AttemptResult; state: DeliveryState }
  | { kind: 'queued'; destination: string }
  | { kind: 'none'; destination: string };

export interface DeliveryWorker {
  start(): void;
  /**
   * Stops claiming; calls in flight get `graceMs` to finish. Calls still out then are cut and
   * recorded as unknown (queued, uncertain: the next process re-sends them safely); calls not
   * started go back to the queue.
   */
  stop(graceMs?: number): Promise<void>;
  /**
   * Claim rounds over every destination, each awaiting its calls, until a round claims nothing or
   * `budgetMs` has passed (calls already started still finish); answers the deliveries settled.
   * Workers, which have no timers to come back with, run it after a request and in the cron pass.
   */
  runOnce(budgetMs?: number): Promise<number>;
  /** New work was queued: claim now rather than at the next poll. */
  nudge(): void;
  /** Sync mode: the first attempt of a lead's insert delivery, or `queued` when it does not come within `timeoutMs`. */
  deliverNow(leadId: string, destination: string, timeoutMs: number): Promise<SyncVerdict>;
}

interface DestinationRun {
  inFlight: number;
  claiming: boolean;
  again: boolean;
  circuit: CircuitBreaker;
  /** after a claim that took every due delivery, the next waits until then (GATHER_MS) */
  gatherUntil: number;
  gatherTimer?: NodeJS.Timeout;
}

/** Beyond the attempt's own timeout, how long a claim keeps its slot should its process die mid-call. */
export const DEFAULT_LEASE_MARGIN_MS = 30_000;
/** A paced call starting later than half a slot (and at least this) past its slot takes a new one. */
const LATE_START_MS = 10;
/** After a stop cut its calls, how long it waits for their outcomes to be recorded (a store that is down gets no longer). */
const CUT_SETTLE_MS = 1000;

/** Whether `work` ended within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
const SYNC_POLL_MS = 25;
/**
 * Once a claim has taken every due delivery, the next claim waits this long, so the leads queued
 * meanwhile go together: under a steady insert load, claiming at every insert sent calls of a few
 * leads each, and the claims, calls and settles of those small calls cost more than the inserts
 * themselves. A backlog is not held back: while claims come back full, they follow each other.
 */
const GATHER_MS = 50;

export function limitsOf(destination: CompiledDestination, maxConcurrency = destination.maxConcurrency, leaseMarginMs = DEFAULT_LEASE_MARGIN_MS): ClaimLimits {
  return {
    maxConcurrency,
    ratePerSecond: destination.ratePerSecond,
    batch: destination.kind === 'noojee' ? destination.batch : 1,
    leaseMs: destination.timeoutMs * 2 + leaseMarginMs,
    horizonMs: 1000,
  };
}

/** What the dialer kinds need of the lead's template: its phone fields, country and time zone. */
function describeLead(rules: RuleSet, lead: DeliveryLead): void {
  const template = rules.dialer.templates.get(lead.templateId);
  if (!template) return;
  lead.phoneFields ??= template.phoneFields;
  lead.country ??= template.country;
  const hours = lead.contactHours ? rules.dialer.contactHours.get(lead.contactHours.toLowerCase()) : undefined;
  lead.timeZone ??= (hours ?? template.contactHours).timeZone;
}

function healthOf(results: readonly AttemptResult[]): CallHealth {
  if (results.some((r) => r.outcome === 'delivered' || r.outcome === 'refused')) return 'healthy';
  if (results.some((r) => r.outcome === 'retry' || r.outcome === 'unknown')) return 'unhealthy';
  return 'neutral';
}

/**
 * The delivery workers of one process (SPEC 10.2 point 2): per destination, claims as many calls
 * as its limits leave free across every process, sends them, and settles each delivery with its
 * attempt. Work is claimed when it is queued here (`nudge`), when a call of the destination ends,
 * and every `pollMs` for work queued by other processes or coming due for a retry.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const pollMs = options.pollMs ?? 1000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const leaseMarginMs = options.leaseMarginMs ?? DEFAULT_LEASE_MARGIN_MS;
  const runs = new Map<string, DestinationRun>();
  const inFlight = new Set<Promise<unknown>>();
  /** claims under way: a stop waits for them, so the calls they take are handed back rather than left leased */
  const claims = new Set<Promise<unknown>>();
  // No AbortController shared by the calls: on Workers the worker is built during one request and
  // its calls run in others, and workerd refuses to let a request listen to an AbortSignal another
  // request created. Each call makes its own, and a stop reaches them through these sets.
  // Every call waits a little for its paced start: its start time is the database's clock, ahead of workerd's.
  const pacedStarts = new Set<() => void>();
  /** the calls out, cut when a stop's grace is over: they end as unknown */
  const cutters = new Set<AbortController>();
  let halted = false;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let lastStoreWarning = 0;

  const warnStore = (event: string, err: unknown) => {
    // a database restart fails every poll of every destination: one line a minute says it
    if (now() - lastStoreWarning < 60_000) return;
    lastStoreWarning = now();
    options.logger.warn({ event, err }, 'delivery queue: store unavailable; deliveries wait in the queue');
  };

  function runOf(name: string): DestinationRun {
    let run = runs.get(name);
    if (!run) {
      run = {
        inFlight: 0,
        claiming: false,
        again: false,
        circuit: createCircuitBreaker((change) => {
          options.logger.warn({ event: change.to === 'open' ? 'delivery.circuit_opened' : 'delivery.circuit_changed', destination: name, ...change }, `dialer circuit ${change.from} → ${change.to}`);
          options.metrics?.setDeliveryCircuit(name, change.to);
        }),
        gatherUntil: 0,
      };
      runs.set(name, run);
    }
    return run;
  }

  /** Waits for a paced start; `stop()` ends the wait at once. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || halted) return resolve();
      const wake = () => {
        clearTimeout(t);
        pacedStarts.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      pacedStarts.add(wake);
    });

  /**
   * Waits for the call's paced start. A start that went by more than half a slot ago (the process was
   * busy: a timer fires late under load) takes a new slot rather than going at once with the calls
   * after it, which would be a burst above ratePerSecond at the dialer.
   */
  async function waitForStart(destination: CompiledDestination, call: ClaimedCall): Promise<void> {
    await sleep(call.startAt - now());
    if (destination.ratePerSecond <= 0 || halted) return;
    if (now() - call.startAt <= Math.max(LATE_START_MS, 500 / destination.ratePerSecond)) return;
    let startAt: number;
    try {
      startAt = await options.store.reserveStart(destination.name, destination.ratePerSecond);
    } catch (err) {
      // no store to pace with: the call goes now, as it would have; its settle will wait for the store
      warnStore('delivery.pace_failed', err);
      return;
    }
    await sleep(startAt - now());
  }

  async function attempt(destination: CompiledDestination, call: ClaimedCall, admission: Exclude<Admission, 'reject'>): Promise<DeliverySettlement[]> {
    await waitForStart(destination, call);
    // stopping: a call still waiting for its paced start goes back to the queue unattempted
    if (halted) {
      await options.store.release(call.token).catch(() => {});
      return [];
    }
    for (const delivery of call.deliveries) if (delivery.lead) describeLead(options.rules.current(), delivery.lead);
    const cutter = new AbortController();
    cutters.add(cutter);
    let outcome: Awaited<ReturnType<typeof sendCall>>;
    try {
      outcome = await sendCall(options.transport, dialerKind(destination.kind), destination, call.deliveries, now, cutter.signal);
    } finally {
      cutters.delete(cutter);
    }
    const missing: AttemptResult = { outcome: 'unknown', status: null, answer: 'the dialer answered no result for this lead' };
    const count = call.deliveries.length;
    const settlements = call.deliveries.map((delivery, i) =>
      settlementOf(destination, delivery, outcome.results[i] ?? missing, { request: attemptRequestOf(outcome.request, i, count), latencyMs: outcome.latencyMs }, random),
    );
    const run = runOf(destination.name);
    run.circuit.record(admission, healthOf(outcome.results), now(), destination.circuit);
    options.metrics?.setDeliveryCircuit(destination.name, run.circuit.state(now()));
    for (const s of settlements) options.metrics?.recordDeliveryAttempt(destination.name, s.outcome, outcome.latencyMs);
    await settleDurably(call.token, settlements);
    log(destination, settlements, outcome.latencyMs);
    return settlements;
  }

  /**
   * A settle lost to a database restart is tried again for a while (telling the store so: the lost
   * one may have committed before its connection died); if it never lands, the lease runs out and
   * the deliveries are sent again as uncertain, which the dialer kinds make safe.
   */
  async function settleDurably(token: string, settlements: DeliverySettlement[]): Promise<void> {
    for (let tries = 0; ; tries += 1) {
      try {
        return await options.store.settle(token, settlements, tries > 0);
      } catch (err) {
        if (tries >= 20) {
          options.logger.error({ event: 'delivery.settle_failed', err, deliveries: settlements.map((s) => s.id) }, 'could not record a delivery attempt; it will be retried as uncertain');
          return;
        }
        warnStore('delivery.settle_retry', err);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** tries)));
      }
    }
  }

  function log(destination: CompiledDestination, settlements: readonly DeliverySettlement[], latencyMs: number): void {
    for (const s of settlements) {
      const line = { event: `delivery.${s.state === 'queued' ? 'retry' : s.state}`, destination: destination.name, deliveryId: s.id, outcome: s.outcome, status: s.status, latencyMs: Math.round(latencyMs) };
      if (s.state === 'dead') options.logger.warn({ ...line, answer: s.answer }, 'delivery is dead: it needs a person (GET /admin/deliveries?state=dead)');
      else if (s.state === 'queued') options.logger.info({ ...line, retryInMs: s.retryInMs }, 'delivery will be retried');
      else options.logger.debug(line, `delivery ${s.state}`);
    }
  }

  function launch(destination: CompiledDestination, call: ClaimedCall, admission: Exclude<Admission, 'reject'>): Promise<DeliverySettlement[]> {
    const run = runOf(destination.name);
    run.inFlight += 1;
    const work = attempt(destination, call, admission).catch((err: unknown) => {
      options.logger.error({ event: 'delivery.error', err, destination: destination.name }, 'delivery attempt failed unexpectedly; its lease will bring it back');
      return [] as DeliverySettlement[];
    });
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      run.inFlight -= 1;
      if (!stopped) void pump(destination.name);
    });
    return work;
  }

  /**
   * One claim of a destination's due work (its limits counted by the store), launching its calls.
   * `tookAll`: the claim left nothing due behind (fewer calls than slots, or a call short of a full batch).
   */
  async function claimAndLaunch(destination: CompiledDestination, run: DestinationRun): Promise<{ launched: Array<Promise<DeliverySettlement[]>>; tookAll: boolean }> {
    const admission = run.circuit.admit(now());
    if (admission === 'reject') return { launched: [], tookAll: false };
    const limits = limitsOf(destination, admission === 'probe' ? Math.min(1, destination.maxConcurrency) : destination.maxConcurrency, leaseMarginMs);
    const free = limits.maxConcurrency - run.inFlight;
    let calls: ClaimedCall[] = [];
    const claim = options.store.claim(destination.name, limits);
    claims.add(claim);
    try {
      calls = await claim;
    } catch (err) {
      warnStore('delivery.claim_failed', err);
    } finally {
      claims.delete(claim);
    }
    if (admission === 'probe' && calls.length === 0) run.circuit.record('probe', 'neutral', now(), destination.circuit);
    const tookAll = calls.length < free || calls.some((call) => call.deliveries.length < limits.batch);
    return { launched: calls.map((call, i) => launch(destination, call, i === 0 ? admission : 'pass')), tookAll };
  }

  /** Claims again once the gathering time is over (one timer per destination). */
  function gatherLater(name: string, run: DestinationRun, waitMs: number): void {
    if (run.gatherTimer || stopped) return;
    run.gatherTimer = setTimeout(() => {
      run.gatherTimer = undefined;
      if (!stopped) void pump(name);
    }, waitMs);
  }

  /**
   * One claim for a destination, at most one at a time in this process; answers the calls it
   * launched. After a claim that took everything due, the next waits GATHER_MS, so the leads
   * inserted meanwhile go together (a Noojee batch) rather than one call per insert.
   */
  async function pump(name: string): Promise<Array<Promise<DeliverySettlement[]>>> {
    const destination = options.rules.current().destinations.get(name);
    if (!destination) return [];
    const run = runOf(name);
    if (run.claiming) {
      run.again = true;
      return [];
    }
    if (run.inFlight >= destination.maxConcurrency) return [];
    const waitMs = run.gatherUntil - now();
    if (waitMs > 0) {
      gatherLater(name, run, waitMs);
      return [];
    }
    run.claiming = true;
    let claimed: Awaited<ReturnType<typeof claimAndLaunch>>;
    try {
      claimed = await claimAndLaunch(destination, run);
    } finally {
      run.claiming = false;
    }
    const { launched } = claimed;
    run.gatherUntil = claimed.tookAll ? now() + GATHER_MS : 0;
    if (!stopped && (run.again || (launched.length > 0 && run.inFlight < destination.maxConcurrency))) {
      run.again = false;
      void pump(name);
    }
    return launched;
  }

  /**
   * Claim rounds for one destination, each awaiting its calls, until a round claims nothing or
   * `until` has passed. It bypasses pump's in-process gate: without timers (Workers) a claim
   * skipped because another request's pass was claiming would never be made up, and the
   * destination's limits are the store's to count anyway.
   */
  async function drain(name: string, until: number): Promise<number> {
    let settled = 0;
    for (;;) {
      const destination = options.rules.current().destinations.get(name);
      if (!destination) return settled;
      const round = (await Promise.all((await claimAndLaunch(destination, runOf(name))).launched)).flat();
      settled += round.length;
      if (round.length === 0 || now() >= until) return settled;
    }
  }

  async function expandDnc(): Promise<void> {
    try {
      while ((await options.store.expandDnc(dncForwarding(options.rules.current().destinations))) >= 1000);
    } catch (err) {
      warnStore('delivery.dnc_expand_failed', err);
    }
  }

  async function poll(): Promise<void> {
    await expandDnc();
    for (const name of options.rules.current().destinations.keys()) void pump(name);
  }

  function schedule(): void {
    timer = setTimeout(() => {
      void poll().finally(() => {
        if (!stopped) schedule();
      });
    }, pollMs);
    timer.unref?.();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void poll();
      schedule();
    },
    async stop(graceMs = 10_000) {
      stopped = true;
      clearTimeout(timer);
      for (const run of runs.values()) clearTimeout(run.gatherTimer);
      halted = true;
      for (const wake of [...pacedStarts]) wake();
      // a claim still under way launches its calls after this point; they see `halted` and give their slots back
      const drained = (async () => {
        while (claims.size + inFlight.size > 0) await Promise.allSettled([...claims, ...inFlight]);
      })();
      if (await within(drained, graceMs)) return;
      for (const cutter of [...cutters]) cutter.abort();
      await within(drained, CUT_SETTLE_MS);
    },
    async runOnce(budgetMs = 0) {
      await expandDnc();
      const until = now() + budgetMs;
      const settled = await Promise.all([...options.rules.current().destinations.keys()].map((name) => drain(name, until)));
      return settled.reduce((n, s) => n + s, 0);
    },
    nudge() {
      if (stopped) return;
      for (const name of options.rules.current().destinations.keys()) void pump(name);
    },
    async deliverNow(leadId, name, timeoutMs) {
      const deadline = now() + timeoutMs;
      const destination = options.rules.current().destinations.get(name);
      if (!destination) return { kind: 'none', destination: name };
      const run = runOf(name);
      while (now() < deadline) {
        const admission = run.circuit.admit(now());
        if (admission === 'reject') return { kind: 'queued', destination: name };
        let claimed: Awaited<ReturnType<DeliveryStore['claimInsert']>>;
        try {
          claimed = await options.store.claimInsert(leadId, name, limitsOf(destination, destination.maxConcurrency, leaseMarginMs));
        } catch (err) {
          warnStore('delivery.claim_failed', err);
          return { kind: 'queued', destination: name };
        }
        if (claimed === 'none') return { kind: 'none', destination: name };
        if (claimed === 'busy') {
          if (admission === 'probe') run.circuit.record('probe', 'neutral', now(), destination.circuit);
          await new Promise((r) => setTimeout(r, SYNC_POLL_MS));
          continue;
        }
        const work = launch(destination, claimed, admission);
        let timeout: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timeout = setTimeout(() => resolve('late'), Math.max(0, deadline - now()))));
        const first = await Promise.race([work, late]);
        clearTimeout(timeout);
        const settled = first === 'late' ? undefined : first[0];
        if (!settled) return { kind: 'queued', destination: name };
        const { state, outcome, status, answer, dialerLeadId } = settled;
        return { kind: 'attempted', destination: name, state, result: { outcome, status, answer, dialerLeadId } };
      }
      return { kind: 'queued', destination: name };
    },
  };
}
