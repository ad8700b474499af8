/**
 * Bugs the fuzz properties found and that are not fixed yet. While a bug is `open`:
 * - its regression case in regressions.fuzz.test.ts runs as `it.fails` (it must still fail), and
 * - the properties accept the 500 it causes, and only for inputs it explains, so the rest of the
 *   input space keeps being checked strictly.
 * When the fix lands, set `open: false`: the regression case becomes an ordinary `it` and the
 * properties stop tolerating that input.
 */
import { depthOf, someString } from './json-walk.js';

export interface BugContext {
  /** the endpoint row's name (`noojee.insertLeadFast`, `admin.rulesTest`...) */
  endpoint: string;
  /** the request body, parsed as JSON (undefined when it is not JSON) */
  body: unknown;
  /** the raw text the fake CRM answered with, when the property set one */
  crmReply?: string;
}

export interface KnownBug {
  id: string;
  open: boolean;
  summary: string;
  /** whether this 500 EXCEPTION answer is this bug showing */
  explains(context: BugContext): boolean;
}

/** Text PostgreSQL cannot hold: U+0000 (jsonb and text) and unpaired UTF-16 surrogates (jsonb). */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const isNoojee = (c: BugContext) => c.endpoint.startsWith('noojee.');
const writesLeads = (c: BugContext) => isNoojee(c) || c.endpoint.startsWith('convoso.');
const crmAnswer = (c: BugContext): unknown => {
  if (c.crmReply === undefined) return undefined;
  try {
    return JSON.parse(c.crmReply);
  } catch {
    return undefined;
  }
};

export const BUGS = {
  unstorableLeadText: {
    id: 'BUG-1',
    open: false,
    summary:
      'a lead field name or value (or njExternalLeadId) holding U+0000 or a lone surrogate makes the write fail in PostgreSQL: 103 EXCEPTION (HTTP 500; HTTP 200 on Convoso)',
    explains: (c) => writesLeads(c) && someString(c.body, (s) => UNSTORABLE.test(s)),
  },
  adminEchoesDeepJson: {
    id: 'BUG-2',
    open: false,
    summary: 'POST /admin/rules/test answers 500 when the answer it echoes (row values, or the live CRM answer) is nested deeper than JSON.stringify can recurse (~4,500 levels)',
    explains: (c) => {
      if (!c.endpoint.startsWith('admin.')) return false;
      const given = typeof c.body === 'object' && c.body !== null ? (c.body as { crmResponse?: unknown }).crmResponse : undefined;
      return depthOf(given) > 1_000 || depthOf(crmAnswer(c)) > 1_000;
    },
  },
  crmRawAnswerWithNul: {
    id: 'BUG-3',
    open: false,
    summary: 'a CRM answer whose raw text holds U+0000 makes the decision record insert fail: the lead is lost with 500 EXCEPTION instead of onError',
    explains: (c) => isNoojee(c) && c.crmReply !== undefined && c.crmReply.includes('\u0000'),
  },
  crmMatchedValuesUnstorable: {
    id: 'BUG-4',
    open: false,
    summary: 'a CRM answer value that a row matches and that holds U+0000, a lone surrogate, or ~4,500+ levels of nesting makes the decision record insert fail: 500 EXCEPTION',
    explains: (c) => {
      if (!isNoojee(c)) return false;
      const answer = crmAnswer(c);
      return depthOf(answer) > 1_000 || someString(answer, (s) => UNSTORABLE.test(s));
    },
  },
  crmParseErrorWithLoneSurrogate: {
    id: 'BUG-5',
    open: false,
    summary:
      'a CRM answer that is not JSON and whose offending character is outside the BMP (say "𐀀") yields a V8 parse message holding a lone surrogate; recorded as the failure detail, it makes the decision record insert fail: 500 EXCEPTION',
    explains: (c) => {
      if (!isNoojee(c) || c.crmReply === undefined) return false;
      try {
        JSON.parse(c.crmReply);
        return false;
      } catch (error) {
        return UNSTORABLE.test((error as Error).message);
      }
    },
  },
} satisfies Record<string, KnownBug>;

const tolerated = new Map<string, number>();

/** The open bug that explains a 500 EXCEPTION for this request, if any (and counts it). */
export function openBugExplaining(context: BugContext): KnownBug | undefined {
  const bug = Object.values(BUGS).find((b: KnownBug) => b.open && b.explains(context));
  if (bug) tolerated.set(bug.id, (tolerated.get(bug.id) ?? 0) + 1);
  return bug;
}

/** How many generated inputs hit each open bug (printed once per file, so it stays visible). */
export function toleratedSummary(): string {
  return [...tolerated].map(([id, n]) => `${id}×${n}`).join(', ');
}
