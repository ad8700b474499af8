/** One benchmark figure, with the reference it was measured against in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  reference: string;
  /** value relative to the reference, so the figure survives a noisy shared machine */
  ratio: number;
  target: string;
  pass: boolean;
  /** how it was measured and what else was seen (latencies, CPU per request, sanity checks) */
  detail?: string;
  /** ms of CPU per lead, by process (batch-http) */
  cpuPerLeadMs?: { leadgate?: number; postgres?: number };
}
