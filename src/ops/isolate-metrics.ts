import type { Metrics } from './metrics.js';

/**
 * Metrics on Workers: nothing is collected. A Prometheus scrape of one isolate would see a random
 * slice of the traffic (requests spread over many isolates that come and go), and prom-client is
 * built on Node's process and cluster APIs. Workers Analytics and the per-request log line
 * (status, result code, latency) carry the same information there.
 */
export function createIsolateMetrics(): Metrics {
  const ignore = () => {};
  return {
    request: ignore,
    gateWait: ignore,
    gateTimeout: ignore,
    crmCall: ignore,
    rulesReload: ignore,
    decision: ignore,
    recordDeliveryAttempt: ignore,
    setDeliveryCircuit: ignore,
    render: async () => ({
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: '# leadgate on Cloudflare Workers exports no Prometheus metrics: use Workers Analytics and the request log\n',
    }),
  };
}
