import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/*
 * /metrics with several server processes (LEADGATE_PROCESSES > 1). Prometheus reaches one process
 * per scrape (the port hands each connection to one of them), so a process's own figures would be
 * a random slice of the traffic. Instead the process that gets the scrape asks the primary, which
 * gathers every process's registry with prom-client's AggregatorRegistry (made for node:cluster)
 * and answers the sum: counters and histograms add up, and gauges of shared state say how they
 * combine with their own `aggregator` (ops/metrics.ts).
 */

const REQUEST = 'leadgate:metrics-request';
const ANSWER = 'leadgate:metrics-answer';
/** above prom-client's own 5 s limit for gathering the workers' figures */
const ANSWER_TIMEOUT_MS = 6_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}
interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  body: string | null;
}

const isRequest = (message: unknown): message is MetricsRequest => (message as MetricsRequest | null)?.type === REQUEST;
const isAnswer = (message: unknown): message is MetricsAnswer => (message as MetricsAnswer | null)?.type === ANSWER;

/**
 * In a worker: offers `registry` to the primary's gathering, and returns the render for /metrics,
 * which answers the figures of all processes. When the primary cannot gather them (a process is
 * being replaced at that moment), the answer is this process's own figures, marked as such, rather
 * than a failed scrape.
 */
export function clusterMetricsRender(registry: Registry): () => Promise<{ contentType: string; body: string }> {
  AggregatorRegistry.setRegistries([registry]);
  // its constructor installs the worker's answer to the primary's requests
  new AggregatorRegistry();
  const waiting = new Map<number, (body: string | null) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isAnswer(message)) waiting.get(message.id)?.(message.body);
  });
  const askPrimary = () =>
    new Promise<string | null>((resolve) => {
      const id = nextId++;
      const done = (body: string | null) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(body);
      };
      const timer = setTimeout(() => done(null), ANSWER_TIMEOUT_MS);
      waiting.set(id, done);
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
  return async () => {
    const all = await askPrimary();
    const body = all ?? `# leadgate: the figures of this process only (pid ${process.pid}): the other processes' could not be gathered\n${await registry.metrics()}`;
    return { contentType: registry.contentType, body };
  };
}

/** In the primary: answers every worker's request with the figures of all connected workers. */
export function serveClusterMetrics(onError: (error: unknown) => void): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (body: string | null) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, body } satisfies MetricsAnswer);
    };
    aggregator.clusterMetrics().then(answer, (error: unknown) => {
      onError(error);
      answer(null);
    });
  });
}
