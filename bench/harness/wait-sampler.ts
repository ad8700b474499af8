import type postgres from 'postgres';

/**
 * What the busy backends of the current database wait on, sampled every 50 ms until `stop()`:
 * `CPU` or `type:event`, with the start of the query. `stop()` answers the counts, most first.
 */
export function sampleWaitEvents(admin: postgres.Sql, queryChars: number): { stop(): Promise<Array<[string, number]>> } {
  const waits = new Map<string, number>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const active = await admin.unsafe<Array<{ w: string }>>(
        `select coalesce(wait_event_type || ':' || wait_event, 'CPU') || '  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), ${queryChars}) as w
         from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`,
      );
      for (const { w } of active) waits.set(w, (waits.get(w) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await sampler;
      return [...waits].sort((a, b) => b[1] - a[1]);
    },
  };
}

/** The samples as the experiments print them. */
export function printWaitEvents(samples: ReadonlyArray<[string, number]>, top: number): void {
  console.log('active backends by wait event (samples):');
  for (const [w, n] of samples.slice(0, top)) console.log(`  ${String(n).padStart(5)}  ${w}`);
}
