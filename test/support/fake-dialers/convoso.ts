import { ConvosoAccount, type ConvosoAnswer, type ConvosoLead, type DncEntry } from './convoso-leads.js';
import { pause, startFakeHttp, takeForced, type DownMode, type Forced, type RecordedRequest, type Reply } from './server.js';

/**
 * A fake Convoso account API: `/v1/leads/insert`, `/v1/leads/update`, `/v1/leads/search`,
 * `/v1/dnc/insert`, as SPEC section 4 describes Convoso (the leads themselves: convoso-leads.ts).
 * From SPEC 4: GET and POST alike, parameters from the query string, a form body or a flat JSON
 * body, merged with a body value winning; `auth_token` missing or wrong is HTTP 403
 * `{"success":false,"code":403,"text":"Forbidden"}`; every other answer is HTTP 200 with
 * `{"success":true,...}` or `{"success":false,"code","text"}`; a body that cannot be read is 6023;
 * HTTP 429 is one of Convoso's answers (SPEC 4 and 10.2).
 * Decided here, the sources being silent:
 * - the 429 body is `{"success":false,"code":429,"text":"Too Many Requests"}` with `Retry-After`
 *   in seconds; the limit is a fixed window of `maxRequests` per `windowMs`, checked before
 *   anything else, and a refused request does not count;
 * - an unknown path is HTTP 404 `{"success":false,"code":404,"text":"Not Found"}`;
 * - `delayMs` is spent before the work, and the work is done even if the caller hung up.
 */

export interface ConvosoKnobs {
  down: DownMode;
  delayMs: number;
  /** The next n `/v1/leads/insert` calls do their work, then the socket is destroyed unanswered */
  cutAfterInsert: number;
  /** Answer this instead of doing the work (after the rate limit, before auth) */
  answerOverride: Forced<{ status: number; body: unknown; headers?: Record<string, string> }> | null;
  /** At most `maxRequests` per `windowMs`; the rest get HTTP 429 with Retry-After */
  rateLimit: { maxRequests: number; windowMs: number; retryAfterSeconds?: number } | null;
}

export interface ConvosoOptions extends Partial<ConvosoKnobs> {
  authToken?: string;
  /** Known lists: list id → campaign id. Omitted: every list id exists and is its own campaign */
  lists?: Record<string, string>;
}

export interface FakeConvoso {
  url: string;
  authToken: string;
  /** Stored leads: every field as a string, `id` the lead id */
  leads: ConvosoLead[];
  dnc: DncEntry[];
  requests: RecordedRequest[];
  readonly maxInFlightSeen: number;
  set(knobs: Partial<ConvosoKnobs>): Promise<void>;
  close(): Promise<void>;
}

type Route = (params: Record<string, string>) => ConvosoAnswer;

export async function startFakeConvoso(options: ConvosoOptions = {}): Promise<FakeConvoso> {
  const authToken = options.authToken ?? 'fake-convoso-token';
  const knobs: ConvosoKnobs = { down: false, delayMs: 0, cutAfterInsert: 0, answerOverride: null, rateLimit: null, ...options };
  const account = new ConvosoAccount(options.lists);
  const routes: Record<string, Route> = {
    '/v1/leads/insert': (params) => account.insert(params),
    '/v1/leads/update': (params) => account.update(params),
    '/v1/leads/search': (params) => account.search(params),
    '/v1/dnc/insert': (params) => account.addDnc(params),
  };
  let window = { startedAt: 0, count: 0 };

  async function handle(request: RecordedRequest, reply: Reply): Promise<void> {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void =>
      reply.send(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));

    const retryAfter = rateLimited();
    if (retryAfter !== undefined) {
      return json(429, { success: false, code: 429, text: 'Too Many Requests' }, { 'retry-after': String(retryAfter) });
    }
    await pause(knobs.delayMs);
    const forced = takeForced(knobs.answerOverride);
    if (forced) return json(forced.status, forced.body, forced.headers);

    const route = routes[request.path];
    if (!route) return json(404, { success: false, code: 404, text: 'Not Found' });
    const params = readParams(request);
    if (params === undefined) return json(200, { success: false, code: 6023, text: 'Required fields are missed' });
    if (!params.auth_token || params.auth_token !== authToken) return json(403, { success: false, code: 403, text: 'Forbidden' });

    const answer = route(params);
    if (request.path === '/v1/leads/insert' && knobs.cutAfterInsert > 0) {
      knobs.cutAfterInsert--;
      return reply.cut();
    }
    json(200, answer);
  }

  /** Seconds to wait when over the limit, else undefined (and the request counts) */
  function rateLimited(): number | undefined {
    const limit = knobs.rateLimit;
    if (!limit) return undefined;
    const now = Date.now();
    if (now - window.startedAt >= limit.windowMs) window = { startedAt: now, count: 0 };
    if (window.count < limit.maxRequests) {
      window.count++;
      return undefined;
    }
    return limit.retryAfterSeconds ?? Math.max(1, Math.ceil((window.startedAt + limit.windowMs - now) / 1000));
  }

  const http = await startFakeHttp(handle, knobs.down);
  return {
    url: http.url,
    authToken,
    leads: account.leads,
    dnc: account.dnc,
    requests: http.requests,
    get maxInFlightSeen() {
      return http.maxInFlightSeen;
    },
    async set(changes) {
      Object.assign(knobs, changes);
      if (changes.rateLimit !== undefined) window = { startedAt: 0, count: 0 };
      if (changes.down !== undefined) await http.setDown(changes.down);
    },
    close: () => http.close(),
  };
}

/** Query, then the body (JSON object or form), a body value winning; undefined if unreadable */
function readParams(request: RecordedRequest): Record<string, string> | undefined {
  const params: Record<string, string> = { ...request.query };
  const body = request.body.trim();
  if (body === '') return params;
  const type = request.headers['content-type'] ?? '';
  if (type.includes('json') || body.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (value !== null && typeof value === 'object') return undefined;
      params[name] = value === null || value === undefined ? '' : String(value);
    }
    return params;
  }
  for (const [name, value] of new URLSearchParams(body)) params[name] = value;
  return params;
}
