import { createServer, type Server } from 'node:http';
import { onCleanup } from './cleanup.js';

/**
 * A loopback CRM stub for the soak: it answers `{}` (no duplicate-check row matches, so the lead
 * is created) at once, except for leads whose external id (the connect maps njExternalLeadId to
 * `external_id`) starts with `slowPrefix`: those get their answer only after `slowMs`, longer than
 * the connect's timeoutMs, so leadgate's call times out and the duplicate check's onError decides.
 * The test picks which leads time out, so it knows which leads must carry status CRM_ERROR.
 * It runs in the benchmark's own process: it does nearly nothing, and leadgate is what is measured.
 */
export interface SlowCrm {
  base: string;
  /** calls answered at once / late */
  counts(): { fast: number; slow: number };
  close(): Promise<void>;
}

export async function startSlowCrm(slowPrefix: string, slowMs: number): Promise<SlowCrm> {
  let fast = 0;
  let slow = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let externalId = '';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { external_id?: unknown };
        if (typeof body.external_id === 'string') externalId = body.external_id;
      } catch {
        // not JSON: answer at once
      }
      const answer = () => {
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
      };
      if (externalId.startsWith(slowPrefix)) {
        slow += 1;
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, slowMs);
        timers.add(timer);
      } else {
        fast += 1;
        answer();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const unregister = onCleanup('slow CRM stub', close);
  return {
    base: `http://127.0.0.1:${port}`,
    counts: () => ({ fast, slow }),
    async close() {
      unregister();
      await close();
    },
  };
}
