import cluster from 'node:cluster';
import { parseEnv, type Env } from '../config/env.js';
import { checkBeforeForking, startClusterPrimary } from '../entry/cluster-primary.js';
import { serveAsWorker } from '../entry/cluster-worker.js';
import { startNodeServer } from '../entry/node.js';
import { resolveProcessCount } from '../entry/process-count.js';

/**
 * `leadgate serve`: starts the gateway, which then runs until SIGTERM or SIGINT. With
 * LEADGATE_PROCESSES above 1 this process becomes the primary of that many server processes
 * (src/entry/cluster-primary.ts), which run this same command as cluster workers.
 */
export async function serveCommand(rawEnv: Record<string, string | undefined>): Promise<void> {
  const env = parseEnv(rawEnv);
  if (cluster.isWorker) return serveAsWorker(env, rawEnv);
  const processes = resolveProcessCount(env.LEADGATE_PROCESSES);
  if (processes > 1) return servePrimary(env, rawEnv, processes);

  const server = await startNodeServer(env, rawEnv);
  onStopSignals(
    () => server.close().then(() => true),
    () => undefined,
  );
}

async function servePrimary(env: Env, rawEnv: Record<string, string | undefined>, processes: number): Promise<void> {
  await checkBeforeForking(env, rawEnv, processes);
  const fatal = (message: string) => {
    console.error(message);
    void server.close().finally(() => process.exit(1));
  };
  const server = await startClusterPrimary(env, { processes, onFatal: fatal });
  onStopSignals(server.close, server.kill);
}

/**
 * SIGTERM or SIGINT: a graceful stop, exit 0 when it was clean. A second signal means "now": skip
 * the graceful wait.
 */
function onStopSignals(stopGracefully: () => Promise<boolean>, stopNow: () => void): void {
  let stopping = false;
  const stop = () => {
    if (stopping) {
      stopNow();
      process.exit(1);
    }
    stopping = true;
    stopGracefully().then(
      (clean) => process.exit(clean ? 0 : 1),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
