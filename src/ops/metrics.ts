import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStat } from '../forward/delivery-admin.js';
import type { AttemptOutcome } from '../forward/ports.js';
import type { GateStats } from '../pipeline/admission-gate.js';
import { clusterMetricsRender } from './cluster-metrics.js';

/** What the app reports; the Prometheus implementation below is the Node one. */
export interface Metrics {
  request(route: string, status: number, code: string, seconds: number): void;
  gateWait(seconds: number): void;
  gateTimeout(): void;
  crmCall(connect: string, outcome: string, seconds: number): void;
  rulesReload(ok: boolean): void;
  /** one duplicate-check decision record written, by its outcome (created, skipped, dnc, ...) */
  decision(outcome: string): void;
  /** one call to a dialer made by the delivery worker, by how it ended (SPEC 10.2 point 3) */
  recordDeliveryAttempt(destination: string, outcome: AttemptOutcome, latencyMs: number): void;
  /** the delivery worker's circuit breaker for a destination changed state */
  setDeliveryCircuit(destination: string, state: CircuitState): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export type CircuitState = 'closed' | 'half-open' | 'open';

export interface MetricSources {
  gate: () => GateStats;
  /** circuit state per connect name: 0 closed, 1 half-open, 2 open */
  circuits: () => ReadonlyMap<string, CircuitState>;
  /** the delivery queue per destination, read at scrape (cached: see cachedQueueStats) */
  deliveryQueue?: () => Promise<readonly QueueStat[]>;
  /** the scrape time, for the oldest queued age (tests pass a fixed one) */
  now?: () => number;
}

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Prometheus metrics (SPEC 7) in a registry of their own, so several apps in one process never
 * clash. With `clusterWorker`, /metrics answers for every server process (cluster-metrics.ts):
 * counters, histograms and the gate's gauges add up across processes; a gauge of state the
 * processes share (the delivery queue, read from the database) or that each keeps a copy of (a
 * circuit) says `aggregator: 'max'`, so N processes do not report N times the queue.
 */
export function createPromMetrics(sources: MetricSources, options: { defaultMetrics?: boolean; clusterWorker?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'leadgate_' });
  const registers = [registry];

  const requests = new Counter({ name: 'leadgate_requests_total', help: 'HTTP requests by route, HTTP status and result code', labelNames: ['route', 'status', 'code'], registers });
  const latency = new Histogram({ name: 'leadgate_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
  const gateWait = new Histogram({ name: 'leadgate_gate_wait_seconds', help: 'Time lead operations waited for an admission slot', buckets: LATENCY_BUCKETS, registers });
  const gateTimeouts = new Counter({ name: 'leadgate_gate_timeouts_total', help: 'Lead operations refused with 109 after waiting too long', registers });
  new Gauge({
    name: 'leadgate_gate_queue_length',
    help: 'Lead operations waiting for an admission slot',
    registers,
    collect() {
      this.set(sources.gate().queued);
    },
  });
  new Gauge({
    name: 'leadgate_gate_in_flight',
    help: 'Lead operations holding an admission slot',
    registers,
    collect() {
      this.set(sources.gate().inFlight);
    },
  });
  const crmCalls = new Counter({ name: 'leadgate_crm_calls_total', help: 'CRM calls by connect and outcome', labelNames: ['connect', 'outcome'], registers });
  const crmLatency = new Histogram({ name: 'leadgate_crm_call_duration_seconds', help: 'CRM call latency by connect', labelNames: ['connect'], buckets: LATENCY_BUCKETS, registers });
  new Gauge({
    name: 'leadgate_crm_circuit_state',
    help: 'Circuit breaker per connect: 0 closed, 1 half-open, 2 open',
    labelNames: ['connect'],
    aggregator: 'max',
    registers,
    collect() {
      this.reset();
      for (const [connect, state] of sources.circuits()) this.set({ connect }, CIRCUIT_VALUE[state]);
    },
  });
  const delivery = deliveryMetrics(sources, registers);
  const reloads = new Counter({ name: 'leadgate_rules_reloads_total', help: 'Rule reloads by result', labelNames: ['result'], registers });
  const decisions = new Counter({ name: 'leadgate_decisions_total', help: 'Duplicate-check decisions recorded, by outcome', labelNames: ['outcome'], registers });

  return {
    request(route, status, code, seconds) {
      requests.inc({ route, status: String(status), code });
      latency.observe({ route }, seconds);
    },
    gateWait: (seconds) => gateWait.observe(seconds),
    gateTimeout: () => gateTimeouts.inc(),
    crmCall(connect, outcome, seconds) {
      crmCalls.inc({ connect, outcome });
      crmLatency.observe({ connect }, seconds);
    },
    rulesReload: (ok) => reloads.inc({ result: ok ? 'ok' : 'rejected' }),
    decision: (outcome) => decisions.inc({ outcome }),
    recordDeliveryAttempt: delivery.attempt,
    setDeliveryCircuit: delivery.circuit,
    render: options.clusterWorker ? clusterMetricsRender(registry) : async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/**
 * Forwarding (SPEC 10.3): the queue per destination, read from the store at scrape; attempts,
 * latency and the circuit, pushed by the delivery worker. A destination once seen keeps its queue
 * series at 0 when its queue empties, so an alert on the age does not lose its series.
 */
function deliveryMetrics(sources: MetricSources, registers: Registry[]) {
  const seen = new Set<string>();
  const now = sources.now ?? Date.now;
  const read = async (): Promise<readonly QueueStat[] | undefined> => (sources.deliveryQueue ? sources.deliveryQueue().catch(() => undefined) : []);
  const queueGauge = (name: string, help: string, value: (stat: QueueStat | undefined) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['destination'],
      aggregator: 'max',
      registers,
      async collect() {
        const found = await read();
        this.reset();
        // the store did not answer: no value rather than a stale or made-up one
        if (!found) return;
        for (const stat of found) seen.add(stat.destination);
        const byName = new Map(found.map((s) => [s.destination, s]));
        for (const destination of seen) this.set({ destination }, value(byName.get(destination)));
      },
    });
  queueGauge('leadgate_delivery_queue_depth', 'Deliveries queued per destination', (s) => s?.depth ?? 0);
  queueGauge('leadgate_delivery_oldest_queued_age_seconds', 'Age of the oldest queued delivery per destination (0: none queued)', (s) =>
    s?.oldestQueuedAt ? Math.max(0, (now() - s.oldestQueuedAt.getTime()) / 1000) : 0,
  );
  const attempts = new Counter({ name: 'leadgate_delivery_attempts_total', help: 'Delivery attempts by destination and outcome', labelNames: ['destination', 'outcome'], registers });
  const latency = new Histogram({
    name: 'leadgate_delivery_latency_seconds',
    help: 'Delivery attempt latency by destination and outcome',
    labelNames: ['destination', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const circuit = new Gauge({
    name: 'leadgate_delivery_circuit_state',
    help: 'Circuit breaker per destination: 0 closed, 1 half-open, 2 open',
    labelNames: ['destination'],
    aggregator: 'max',
    registers,
  });
  return {
    attempt(destination: string, outcome: AttemptOutcome, latencyMs: number) {
      attempts.inc({ destination, outcome });
      latency.observe({ destination, outcome }, latencyMs / 1000);
    },
    circuit: (destination: string, state: CircuitState) => circuit.set({ destination }, CIRCUIT_VALUE[state]),
  };
}
