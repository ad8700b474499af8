import { Agent, request } from 'undici';
import { InjectStop, MAX_ATTEMPTS, retryDelayMs, sleep, type BatchSender, type RowResult } from './sender.js';

export interface HttpOptions {
  /** the server's base URL, e.g. http://localhost:8080 */
  url: string;
  apiKey: string;
  templateId: string;
  campaignId: string;
  allocationId: string;
  allowDuplicates: boolean;
  warn: (line: string) => void;
}

export const INJECT_PATH = '/servicemanager/rest/CampaignAPI/injectLeads';

/** Request-level answers that mean the command itself is wrong: stop, exit 2. */
const CONFIG_CODES = new Set([401, 115, 116, 117, 203]);

interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
  text: string;
  retryAfter: number | undefined;
}

function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/** `http://host:port/base` → the injectLeads URL (the path may also be given in full). */
export function injectUrl(base: string, query: Record<string, string>): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new InjectStop(`--url '${base}' is not a URL (e.g. http://localhost:8080)`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InjectStop(`--url must be http or https, got '${url.protocol}'`, 2);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(INJECT_PATH) ? path : path + INJECT_PATH;
  url.search = new URLSearchParams(query).toString();
  return url;
}

/** Posts each batch to a running server's injectLeads and reads its `results` (SPEC 2.4). */
export async function openHttpSender(options: HttpOptions): Promise<BatchSender> {
  const query: Record<string, string> = {
    apiKey: options.apiKey,
    fTemplateId: options.templateId,
    fCampaignId: options.campaignId,
    fAllocationId: options.allocationId,
  };
  if (options.allowDuplicates) query.allowDuplicates = 'true';
  const url = injectUrl(options.url, query);
  // what messages and the run's state name: never the API key
  const shown = `${url.origin}${url.pathname}`;
  const agent = new Agent({ headersTimeout: 10 * 60_000, bodyTimeout: 10 * 60_000, connections: 2 });

  async function post(rows: readonly unknown[]): Promise<Answer> {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rows),
    });
    const text = await response.body.text();
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body, text, retryAfter: parseRetryAfter(response.headers['retry-after']) };
  }

  async function send(rows: readonly unknown[], preflight = false): Promise<RowResult[]> {
    for (let attempt = 1; ; attempt += 1) {
      let answer: Answer;
      try {
        answer = await post(rows);
      } catch (error) {
        const retryable = `${shown} did not answer (${(error as Error).message})`;
        if (preflight) throw new InjectStop(retryable, 2);
        // The batch may or may not have been written; sending it again is safe for ADD rows (112).
        if (attempt >= MAX_ATTEMPTS) throw new InjectStop(`${retryable}; giving up after ${attempt} attempts`, 1);
        const ms = retryDelayMs(attempt);
        options.warn(`${retryable}; retrying the batch in ${ms / 1000} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
        await sleep(ms);
        continue;
      }
      const code = typeof answer.body?.code === 'number' ? answer.body.code : undefined;
      const said = answer.body
        ? `${code ?? ''} ${String(answer.body.message ?? '')}${answer.body.description ? `: ${String(answer.body.description)}` : ''}`.trim()
        : answer.text.slice(0, 200);

      if (answer.status === 200 && Array.isArray(answer.body?.results)) {
        const results = answer.body.results as Array<Record<string, unknown>>;
        if (results.length !== rows.length) throw new InjectStop(`${shown} answered ${results.length} results for ${rows.length} rows`, 1);
        return results.map((r) => {
          const result: RowResult = { code: Number(r.code), message: String(r.message ?? '') };
          if (typeof r.description === 'string') result.description = r.description;
          if (r.leadId !== undefined) result.leadId = String(r.leadId);
          return result;
        });
      }
      if (answer.status === 401 || (code !== undefined && CONFIG_CODES.has(code))) {
        const hint = code === 203 ? ' (use a smaller --batch-size)' : answer.status === 401 ? ' (check --api-key)' : '';
        throw new InjectStop(`${shown} refused the import: HTTP ${answer.status} ${said}${hint}`, 2);
      }
      if (code === 109 || answer.status === 503 || answer.status === 429) {
        const retryable = `${shown} is busy or its store is unavailable: HTTP ${answer.status} ${said}`;
        if (attempt >= MAX_ATTEMPTS) throw new InjectStop(`${retryable}; giving up after ${attempt} attempts`, 1);
        const ms = retryDelayMs(attempt, answer.retryAfter);
        options.warn(`${retryable}; retrying the batch in ${ms / 1000} s (attempt ${attempt + 1} of ${MAX_ATTEMPTS})`);
        await sleep(ms);
        continue;
      }
      throw new InjectStop(`${shown} answered HTTP ${answer.status} ${said}`, 1);
    }
  }

  const sender: BatchSender = {
    destination: shown,
    send: (rows) => send(rows),
    close: () => agent.close(),
  };
  try {
    // An empty batch checks the key and the target before the file is read.
    await send([], true);
  } catch (error) {
    await agent.close();
    throw error;
  }
  return sender;
}
