import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The loopback HTTP server under the three fake dialers: it records every request, counts the
 * requests open at once, and plays the outages every dialer document warns about (seed 003:
 * "the Noojee PBX goes down for maintenance"). The dialer logic lives in each fake; this file
 * knows nothing about leads.
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query string */
  path: string;
  /** Query parameters (the last value wins when one repeats) */
  query: Record<string, string>;
  /** Raw body as received */
  body: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when the whole request had arrived */
  receivedAt: number;
}

/**
 * `refuse`: the port stops listening, so a connect fails with ECONNREFUSED (a dialer host that is
 * off). `503`: the port answers HTTP 503 to everything (a web server in front of a stopped
 * application). `false`: up.
 */
export type DownMode = false | 'refuse' | '503';

/** How a fake answers one request */
export interface Reply {
  send(status: number, headers: Record<string, string>, body: string): void;
  /** Destroy the socket without an answer: the client sees a reset connection */
  cut(): void;
}

export type FakeHandler = (request: RecordedRequest, reply: Reply) => Promise<void>;

export interface FakeHttp {
  url: string;
  requests: RecordedRequest[];
  /** Highest number of requests received and not yet answered, at any moment */
  readonly maxInFlightSeen: number;
  setDown(mode: DownMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeHttp(handle: FakeHandler, down: DownMode): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let downMode: DownMode = false;
  let inFlight = 0;
  let maxInFlightSeen = 0;
  let closed = false;

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlightSeen = Math.max(maxInFlightSeen, inFlight);
    let answered = false;
    const finish = (): void => {
      if (!answered) inFlight--;
      answered = true;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: Buffer.concat(chunks).toString('utf8'),
        headers: req.headers,
        receivedAt: Date.now(),
      };
      requests.push(recorded);
      if (downMode === '503') {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Service Unavailable');
        return;
      }
      handle(recorded, replyTo(res, finish)).catch((error: unknown) => {
        if (res.headersSent || res.destroyed) return;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`fake dialer failed: ${String(error)}`);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await listen(server, 0);
  const { port } = server.address() as AddressInfo;

  async function setDown(mode: DownMode): Promise<void> {
    if (closed) return;
    const wasRefusing = downMode === 'refuse';
    downMode = mode;
    if (mode === 'refuse' && !wasRefusing) {
      // kept-alive connections would otherwise still reach the handler
      for (const socket of sockets) socket.destroy();
      await stopListening(server);
    } else if (mode !== 'refuse' && wasRefusing) {
      await listen(server, port);
    }
  }

  await setDown(down);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlightSeen() {
      return maxInFlightSeen;
    },
    setDown,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopListening(server);
    },
  };
}

function replyTo(res: ServerResponse, finish: () => void): Reply {
  return {
    send(status, headers, body) {
      if (res.destroyed) return;
      res.writeHead(status, headers);
      res.end(body);
    },
    cut() {
      finish();
      res.socket?.destroy();
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function stopListening(server: Server): Promise<void> {
  // the callback gets ERR_SERVER_NOT_RUNNING when already stopped (down: 'refuse'): fine
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sleep that a knob can set to 0 */
export async function pause(ms: number): Promise<void> {
  if (ms > 0) await sleep(ms);
}

/** Digits only: how the fakes compare phone numbers (the documents do not say; see each fake) */
export function digits(value: string): string {
  return value.replace(/\D/g, '');
}

/** A forced answer for the next `times` requests (every request while set, when `times` is omitted) */
export interface Forced<T> {
  answer: T;
  times?: number;
}

/** Uses up one of a forced answer's times; undefined when none is left */
export function takeForced<T>(forced: Forced<T> | null): T | undefined {
  if (!forced) return undefined;
  if (forced.times === undefined) return forced.answer;
  if (forced.times <= 0) return undefined;
  forced.times--;
  return forced.answer;
}
