import type { ListQuery, RetryFilterInput } from './options.js';

/** A delivery as the admin API answers it (SPEC 10.3). */
export interface DeliveryJson {
  id: string;
  leadId: string | null;
  destination: string;
  event: string;
  state: string;
  attemptCount: number;
  dialerLeadId: string | null;
  lastOutcome: string | null;
  lastAnswer: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveriesPage {
  total: number;
  deliveries: DeliveryJson[];
}

/** The three verbs, against a server or the store in process; both answer the admin API's JSON. */
export interface DeliveriesClient {
  list(query: ListQuery): Promise<DeliveriesPage>;
  retryOne(id: string): Promise<{ id: string; state: 'queued' }>;
  retryMany(filter: RetryFilterInput): Promise<{ retried: number }>;
  close(): Promise<void>;
}

/** Ends the command with a message and an exit code (1 failed, 2 usage or configuration). */
export class DeliveriesStop extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'DeliveriesStop';
  }
}

/** The admin API's 400, 404 and 409 are answers about this command's input or the delivery: exit 1, or 2 for input. */
const EXIT_BY_STATUS: Record<number, 1 | 2> = { 400: 2, 401: 2, 403: 2, 404: 1, 409: 1 };

/** The admin API of a running server at `base`, with the admin token. */
export function openHttpClient(base: string, adminToken: string, fetchFn: typeof fetch = fetch): DeliveriesClient {
  let root: URL;
  try {
    root = new URL(base);
  } catch {
    throw new DeliveriesStop(`--url '${base}' is not a URL (e.g. http://localhost:8080)`, 2);
  }
  if (root.protocol !== 'http:' && root.protocol !== 'https:') throw new DeliveriesStop(`--url must be http or https, got '${root.protocol}'`, 2);
  const prefix = root.pathname.replace(/\/+$/, '');

  async function call<T>(method: 'GET' | 'POST', path: string, options: { query?: Record<string, string>; body?: unknown } = {}): Promise<T> {
    const url = new URL(root);
    url.pathname = `${prefix}/admin/${path}`;
    url.search = new URLSearchParams(options.query ?? {}).toString();
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetchFn(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new DeliveriesStop(`cannot reach ${root.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 1);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok && json !== undefined) return json as T;
    const error = typeof json === 'object' && json !== null && typeof (json as { error?: unknown }).error === 'string' ? (json as { error: string }).error : text.slice(0, 200);
    throw new DeliveriesStop(`${root.origin} answered ${res.status}: ${error}`, EXIT_BY_STATUS[res.status] ?? 1);
  }

  return {
    list: (query) => call<DeliveriesPage>('GET', 'deliveries', { query: { ...query } as Record<string, string> }),
    retryOne: (id) => call('POST', `deliveries/${encodeURIComponent(id)}/retry`),
    retryMany: (filter) => call('POST', 'deliveries/retry', { body: filter }),
    close: async () => {},
  };
}
