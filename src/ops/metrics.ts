import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GateStats } from '../pipeline/admission-gate.js';

/** What the app reports; the Prometheus implementation below is the Node one. */
export interface Metrics {
  request(route: string, status: number, code: string, seconds: number): void;
  gateWait(seconds: number): void;
  gateTimeout(): void;
  crmCall(connect: string, outcome: string, seconds: number): void;
  rulesReload(ok: boolean): void;
  /** one duplicate-check decision record written, by its outcome (created, skipped, dnc, ...) */
  decision(outcome: string): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricSources {
  gate: () => GateStats;
  /** circuit state per connect name: 0 closed, 1 half-open, 2 open */
  circuits: () => ReadonlyMap<string, 'closed' | 'half-open' | 'open'>;
}

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Prometheus metrics (SPEC 7) in a registry of their own, so several apps in one process never clash. */
export function createPromMetrics(sources: MetricSources, options: { defaultMetrics?: boolean } = {}): Metrics {
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
    registers,
    collect() {
      this.reset();
      for (const [connect, state] of sources.circuits()) this.set({ connect }, CIRCUIT_VALUE[state]);
    },
  });
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
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
