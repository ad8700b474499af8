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
  /**
   * CPU milliseconds per lead beside a throughput figure: leadgate's process (PGlite's database
   * included when it is embedded) and every PostgreSQL server process. The steadiest figure on a
   * shared machine, and the first to compare between runs.
   */
  cpuPerLeadMs?: { leadgate?: number; postgres?: number };
  /** how it was measured and what else was seen (latencies, CPU per request, sanity checks) */
  detail?: string;
}
