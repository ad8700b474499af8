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

/** A figure as kept in bench/results/latest.json: which part measured it, and when. */
export interface KeptResult extends BenchResult {
  part: string;
  at: string;
}

/** How one part's latest run went: when, how long, and how busy the shared machine was. */
export interface PartRun {
  at: string;
  seconds: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  failed: boolean;
}

/** bench/results/latest.json: every part's latest figures, each part replaced only when it runs again. */
export interface ResultsFile {
  updated: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  parts: Record<string, PartRun>;
  results: KeptResult[];
}

/**
 * The kept file with this run's parts written over it: a part that ran replaces all its earlier
 * figures (a failed part leaves none, so no stale figure passes for a current one); every other
 * part's figures stay as they were, with the date they were measured.
 */
export function mergeResults(previous: ResultsFile | undefined, run: { machine: ResultsFile['machine']; parts: Record<string, PartRun>; results: KeptResult[] }): ResultsFile {
  const ran = new Set(Object.keys(run.parts));
  const keptParts = Object.fromEntries(Object.entries(previous?.parts ?? {}).filter(([part, partRun]) => !ran.has(part) && typeof partRun?.at === 'string'));
  const keptResults = (previous?.results ?? []).filter((r) => typeof r.part === 'string' && !ran.has(r.part) && r.part in keptParts);
  return {
    updated: new Date().toISOString(),
    machine: run.machine,
    parts: { ...keptParts, ...run.parts },
    results: [...keptResults, ...run.results],
  };
}
