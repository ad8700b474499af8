/**
 * Everything the benchmark starts (PostgreSQL, leadgate, load generators, stubs) registers a stop
 * function here. `runCleanups` runs them newest first; it is called when the run ends, fails, or is
 * interrupted (Ctrl-C / SIGTERM), so no server outlives the benchmark.
 */
type Cleanup = { name: string; stop: () => Promise<void> | void };

const cleanups: Cleanup[] = [];
let installed = false;
let interrupted = false;

/** true once Ctrl-C / SIGTERM / SIGHUP arrived: the run's figures are incomplete */
export const isInterrupted = () => interrupted;

export function onCleanup(name: string, stop: () => Promise<void> | void): () => void {
  const entry = { name, stop };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop()!;
    try {
      await withTimeout(Promise.resolve(entry.stop()), 30_000, `stopping ${entry.name}`);
    } catch (error) {
      console.error(`cleanup of ${entry.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Ctrl-C, SIGTERM and SIGHUP stop everything that was started, then exit 130. */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    interrupted = true;
    console.error(`\n${signal}: stopping the benchmark's servers…`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

/** Runs an experiment's `main` with signal cleanup installed: a failure sets exit code 1, and every registered process is stopped either way. */
export function runExperiment(main: () => Promise<void>): void {
  installSignalCleanup();
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => runCleanups());
}
