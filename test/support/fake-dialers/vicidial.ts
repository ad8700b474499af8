import { pause, startFakeHttp, takeForced, type DownMode, type Forced, type RecordedRequest, type Reply } from './server.js';
import { VicidialSystem, type AnswerStyle, type Call, type VicidialDnc, type VicidialLead } from './vicidial-leads.js';

/**
 * A fake VICIdial web server: `GET|POST /vicidial/non_agent_api.php` with `function=add_lead`,
 * `update_lead` or `add_dnc_phone` (their behaviour: vicidial-leads.ts). From
 * `docs/NON-AGENT_API.txt` (mirror ccabrerar/vicidial): "the non-agent API requires the user and
 * pass of a valid api-enabled vicidial_users account"; `source` is required; "ERROR: NO FUNCTION
 * SPECIFIED". From that mirror's www/vicidial/non_agent_api.php, the document showing no text:
 * a wrong user or pass answers `ERROR: Login incorrect, please try again: |user|pass|BAD|`; a
 * source shorter than 2 characters answers `ERROR: Invalid Source - <source>` and
 * `ERROR: Invalid Source: |<source>|`; a query-string value wins over a POST value of the same
 * name; phone_number keeps only its digits; a `+` in a value is a space (the document, add_lead); every answer is HTTP 200 text ending in a newline.
 * Decided here: the Content-Type is `text/html; charset=utf-8` (PHP's default).
 */

export interface VicidialKnobs {
  down: DownMode;
  delayMs: number;
  /** The next n add_lead calls do their work, then the socket is destroyed unanswered */
  cutAfterInsert: number;
  /** The API user lacks the permission each function needs (add_lead, update_lead, add_dnc_phone) */
  noPermission: boolean;
  /** Answer this text (HTTP `status`, default 200) instead of doing the work */
  answerOverride: Forced<{ text: string; status?: number }> | null;
  /** Answer texts as the document shows them (default) or as the PHP code prints them */
  style: AnswerStyle;
}

export interface VicidialOptions extends Partial<VicidialKnobs> {
  user?: string;
  pass?: string;
  /** Defined lists: list id → campaign id. Omitted: every list exists and is its own campaign */
  lists?: Record<string, string>;
  /** gmt_offset_now of every lead; default -5 */
  gmtOffset?: string;
}

export interface FakeVicidial {
  url: string;
  user: string;
  pass: string;
  leads: VicidialLead[];
  dnc: VicidialDnc[];
  requests: RecordedRequest[];
  readonly maxInFlightSeen: number;
  set(knobs: Partial<VicidialKnobs>): Promise<void>;
  close(): Promise<void>;
}

export const VICIDIAL_PATH = '/vicidial/non_agent_api.php';

export async function startFakeVicidial(options: VicidialOptions = {}): Promise<FakeVicidial> {
  const user = options.user ?? '6666';
  const pass = options.pass ?? '1234';
  const knobs: VicidialKnobs = {
    down: false,
    delayMs: 0,
    cutAfterInsert: 0,
    noPermission: false,
    answerOverride: null,
    style: 'documented',
    ...options,
  };
  const system = new VicidialSystem(options.lists, options.gmtOffset ?? '-5');

  async function handle(request: RecordedRequest, reply: Reply): Promise<void> {
    const text = (body: string, status = 200): void => reply.send(status, { 'content-type': 'text/html; charset=utf-8' }, body);
    if (request.path !== VICIDIAL_PATH) return text('Not Found', 404);
    await pause(knobs.delayMs);
    const forced = takeForced(knobs.answerOverride);
    if (forced) return text(forced.text, forced.status);

    const params = readParams(request);
    if (params.user !== user || params.pass !== pass) {
      return text(`ERROR: Login incorrect, please try again: |${params.user ?? ''}|${params.pass ?? ''}|BAD|\n`);
    }
    const fn = params.function ?? '';
    const run = { add_lead: system.addLead, update_lead: system.updateLead, add_dnc_phone: system.addDncPhone }[fn];
    if (!run) return text('ERROR: NO FUNCTION SPECIFIED\n');
    const source = params.source ?? '';
    if (source.length < 2) return text(`ERROR: Invalid Source - ${source}\nERROR: Invalid Source: |${source}|\n`);

    const call: Call = { params, user, style: knobs.style, noPermission: knobs.noPermission };
    const answer = run.call(system, call);
    if (fn === 'add_lead' && knobs.cutAfterInsert > 0) {
      knobs.cutAfterInsert--;
      return reply.cut();
    }
    text(answer);
  }

  const http = await startFakeHttp(handle, knobs.down);
  return {
    url: http.url,
    user,
    pass,
    leads: system.leads,
    dnc: system.dnc,
    requests: http.requests,
    get maxInFlightSeen() {
      return http.maxInFlightSeen;
    },
    async set(changes) {
      Object.assign(knobs, changes);
      if (changes.down !== undefined) await http.setDown(changes.down);
    },
    close: () => http.close(),
  };
}

/** POST form values, overridden by query values (the PHP reads $_GET first) */
function readParams(request: RecordedRequest): Record<string, string> {
  const params: Record<string, string> = {};
  if (request.method === 'POST') for (const [name, value] of new URLSearchParams(request.body)) params[name] = value;
  Object.assign(params, request.query);
  // "for fields with spaces in the values, you can replace the space with a plus + sign"
  for (const name of Object.keys(params)) if (name !== 'pass') params[name] = params[name]!.replace(/\+/g, ' ');
  if (params.phone_number !== undefined) params.phone_number = params.phone_number.replace(/\D/g, '');
  if (params.vendor_lead_code !== undefined) params.vendor_lead_code = params.vendor_lead_code.replace(/[;#"]/g, '');
  return params;
}
