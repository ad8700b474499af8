import { pause, startFakeHttp, type DownMode, type RecordedRequest } from './server.js';

/**
 * A loopback receiver for kind `http` destinations (SPEC 10.1): any JSON endpoint. It records
 * what it is sent and answers from a script, one answer a request, then `fallback` (default
 * `200 {"status":"ok","id":"R-<n>"}`, which destinationYaml's default `http:` block reads as
 * delivered with lead id R-<n>).
 */

export interface ReceiverAnswer {
  status: number;
  /** an object is sent as JSON; a string as text */
  body: unknown;
  headers?: Record<string, string>;
  /** wait this long before answering (a slow receiver) */
  delayMs?: number;
}

export interface HttpReceiver {
  url: string;
  requests: RecordedRequest[];
  /** answer these to the next requests, in order */
  script(answers: ReceiverAnswer[]): void;
  /** the answer once the script is used up; null: the default ok */
  fallback: ReceiverAnswer | null;
  /** `refuse`: connections are refused; `503`: every request answered 503; false: up */
  setDown(mode: DownMode): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const queue: ReceiverAnswer[] = [];
  let count = 0;
  const receiver: Omit<HttpReceiver, 'url' | 'requests' | 'setDown' | 'close'> = {
    script: (answers) => queue.push(...answers),
    fallback: null,
  };
  const http = await startFakeHttp(async (_request, reply) => {
    count += 1;
    const answer = queue.shift() ?? receiver.fallback ?? { status: 200, body: { status: 'ok', id: `R-${count}` } };
    await pause(answer.delayMs ?? 0);
    const text = typeof answer.body === 'string';
    reply.send(answer.status, { 'content-type': text ? 'text/plain' : 'application/json', ...answer.headers }, text ? (answer.body as string) : JSON.stringify(answer.body));
  }, false);
  return Object.assign(receiver, { url: `${http.url}/leads`, requests: http.requests, setDown: http.setDown, close: () => http.close() });
}
