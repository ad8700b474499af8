import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A real loopback HTTP server standing in for a client's CRM. Each test decides what it answers
 * (JSON, text, status, headers, delay, a reset socket, silence, an endless body) and reads back
 * what it received.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent on the request line */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type FakeCrmReply =
  | {
      kind?: 'answer';
      status?: number;
      headers?: Record<string, string>;
      /** JSON answer (sets Content-Type: application/json) */
      json?: unknown;
      /** Raw text answer, sent as is */
      text?: string;
      /** `Retry-After` header: seconds or an HTTP date */
      retryAfter?: number | string;
      delayMs?: number;
    }
  /** Close the connection with a TCP reset instead of answering */
  | { kind: 'reset'; delayMs?: number }
  /** Accept the request and never answer */
  | { kind: 'hang' }
  /** Stream `totalBytes` (no Content-Length) as fast as the client reads */
  | { kind: 'stream'; totalBytes: number; chunkBytes?: number; status?: number; headers?: Record<string, string>; delayMs?: number; /** a pause after each chunk: an answer that trickles */ chunkDelayMs?: number };

export type FakeCrmHandler = (request: RecordedRequest, index: number) => FakeCrmReply | Promise<FakeCrmReply>;

export interface FakeCrm {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request received, in arrival order */
  requests: RecordedRequest[];
  /** Requests received and not yet answered (or abandoned) */
  readonly inFlight: number;
  /** Highest inFlight seen since start or reset() */
  readonly maxInFlight: number;
  /** Bytes the stream replies wrote before finishing or before the client hung up */
  readonly streamedBytes: number;
  /** One reply for every request, or a list used in order whose last entry repeats */
  respond(reply: FakeCrmReply | readonly FakeCrmReply[]): void;
  setHandler(handler: FakeCrmHandler): void;
  /** Forget requests and counters; answer 200 `{}` again */
  reset(): void;
  close(): Promise<void>;
}

const defaultHandler: FakeCrmHandler = () => ({ status: 200, json: {} });

export async function startFakeCrm(): Promise<FakeCrm> {
  let handler: FakeCrmHandler = defaultHandler;
  let inFlight = 0;
  let maxInFlight = 0;
  let streamedBytes = 0;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    res.on('close', () => {
      if (!done) inFlight--;
      done = true;
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, requests.length - 1))
        .then((reply) => sendReply(reply, res))
        .catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake CRM handler failed: ${String(error)}`);
        });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function sendReply(reply: FakeCrmReply, res: ServerResponse): Promise<void> {
    if (reply.kind === 'hang') return;
    if (reply.delayMs) await delay(reply.delayMs);
    if (res.destroyed) return;
    if (reply.kind === 'reset') {
      res.socket?.resetAndDestroy();
      return;
    }
    if (reply.kind === 'stream') {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      await streamBody(res, reply.totalBytes, reply.chunkBytes ?? 64 * 1024, reply.chunkDelayMs ?? 0);
      return;
    }
    const headers: Record<string, string> = {};
    let body = '';
    if (reply.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(reply.json);
    } else if (reply.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      body = reply.text;
    }
    if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
    res.writeHead(reply.status ?? 200, { ...headers, ...reply.headers });
    res.end(body);
  }

  async function streamBody(res: ServerResponse, totalBytes: number, chunkBytes: number, chunkDelayMs: number): Promise<void> {
    const chunk = Buffer.alloc(chunkBytes, 0x20);
    let left = totalBytes;
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunkBytes ? chunk : chunk.subarray(0, left);
      left -= piece.byteLength;
      streamedBytes += piece.byteLength;
      if (!res.write(piece)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
      if (chunkDelayMs > 0) await delay(chunkDelayMs);
    }
    if (!res.destroyed) res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get streamedBytes() {
      return streamedBytes;
    },
    respond(reply) {
      if (!Array.isArray(reply)) {
        const single = reply as FakeCrmReply;
        handler = () => single;
        return;
      }
      const list = reply as readonly FakeCrmReply[];
      handler = (_req, index) => list[Math.min(index, list.length - 1)] ?? { status: 200, json: {} };
    },
    setHandler(next) {
      handler = next;
    },
    reset() {
      handler = defaultHandler;
      requests.length = 0;
      maxInFlight = inFlight;
      streamedBytes = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
