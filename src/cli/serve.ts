import { parseEnv } from '../config/env.js';
import { startNodeServer } from '../entry/node.js';

/** `leadgate serve`: starts the gateway, which then runs until SIGTERM or SIGINT. */
export async function serveCommand(env: Record<string, string | undefined>): Promise<void> {
  const server = await startNodeServer(parseEnv(env), env);
  let stopping = false;
  const stop = () => {
    // A second signal means "now": skip the graceful wait.
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
