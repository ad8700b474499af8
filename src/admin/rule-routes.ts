import { Hono, type Context } from 'hono';
import { readBodyLimited } from '../http/read-body.js';
import type { AppVariables } from '../http/request-log.js';
import { ruleFileEtag } from '../ruleset/rule-file.js';
import { checkRulePath, RulePathRefused } from '../ruleset/rule-path.js';
import type { AdminStore } from './ports.js';
import type { RuleEditor, WritePrecondition } from './rule-editor.js';
import { issuesText, putRuleFileHeaders } from './schemas.js';

export interface RuleRoutesDeps {
  /** absent where the rules are bundled at build time (Workers) */
  editor?: RuleEditor;
  store?: AdminStore;
  actor: string;
  maxBodyBytes: number;
}

const NOT_EDITABLE = { error: 'rule files are not editable in this deployment: the rules are bundled at build time' };
const INVALID = 'the rules folder would not load with this file; nothing was written';

/** The rule path after `/rules/` (or `/rules/validate/`), still percent-encoded as it arrived. */
function encodedPath(c: Context<Env>, after: string): string {
  const pathname = new URL(c.req.url).pathname;
  return pathname.slice(pathname.indexOf(after) + after.length);
}

type Env = { Variables: AppVariables };

const quoted = (etag: string) => `"${etag}"`;

/** `"a", "b"` → [a, b]; weak tags never match (If-Match uses strong comparison); bare hex is accepted for curl users. */
function parseIfMatch(header: string): readonly string[] | '*' {
  if (header.trim() === '*') return '*';
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0 && !t.startsWith('W/'))
    .map((t) => t.replace(/^"(.*)"$/, '$1'));
}

const contentType = (path: string) => (path.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8');

/** GET/PUT of rule files (SPEC 7) and the validate-only check the admin page runs before saving. */
export function createRuleRoutes(deps: RuleRoutesDeps): Hono<Env> {
  const routes = new Hono<Env>();

  /** the checked path, or the answer that refuses it */
  const pathOf = (c: Context<Env>, after: string) => {
    const checked = checkRulePath(encodedPath(c, after));
    return checked.ok ? { path: checked.path } : { refused: c.json({ error: `invalid rule file path: ${checked.error}` }, 400) };
  };
  const refusedPath = (c: Context<Env>, error: unknown) => {
    if (error instanceof RulePathRefused) return c.json({ error: `invalid rule file path: ${error.message}` }, 400);
    throw error;
  };
  const readText = async (c: Context) => {
    const body = await readBodyLimited(c.req.raw, deps.maxBodyBytes);
    if (body.ok) return { text: body.text };
    return { refused: body.reason === 'tooLarge' ? c.json({ error: 'the file is too large' }, 413) : c.json({ error: 'the file must be UTF-8 text' }, 400) };
  };

  routes.get('/rules', async (c) => {
    if (!deps.editor) return c.json(NOT_EDITABLE, 501);
    return c.json({ files: await deps.editor.list() });
  });

  routes.get('/rules/*', async (c) => {
    if (!deps.editor) return c.json(NOT_EDITABLE, 501);
    const target = pathOf(c, '/rules/');
    if (target.refused) return target.refused;
    const file = await deps.editor.read(target.path).catch((e: unknown) => refusedPath(c, e));
    if (file instanceof Response) return file;
    if (!file) return c.json({ error: `no such rule file: ${target.path}` }, 404);
    return c.body(file.text, 200, { 'content-type': contentType(target.path), etag: quoted(file.etag), 'cache-control': 'no-store' });
  });

  routes.post('/rules/validate/*', async (c) => {
    if (!deps.editor) return c.json(NOT_EDITABLE, 501);
    const target = pathOf(c, '/rules/validate/');
    if (target.refused) return target.refused;
    const body = await readText(c);
    if (body.refused) return body.refused;
    const errors = await deps.editor.validate(target.path, body.text);
    if (errors.length > 0) return c.json({ error: 'the rules folder would not load with this file', errors }, 422);
    return c.json({ path: target.path, valid: true, etag: ruleFileEtag({ path: target.path, text: body.text }) });
  });

  routes.put('/rules/*', async (c) => {
    if (!deps.editor) return c.json(NOT_EDITABLE, 501);
    const target = pathOf(c, '/rules/');
    if (target.refused) return target.refused;
    const headers = putRuleFileHeaders.safeParse({ 'if-match': c.req.header('if-match'), 'if-none-match': c.req.header('if-none-match') });
    if (!headers.success) return c.json({ error: `invalid precondition: ${issuesText(headers.error)}` }, 400);
    const { 'if-match': ifMatch, 'if-none-match': ifNoneMatch } = headers.data;
    if (ifMatch !== undefined && ifNoneMatch !== undefined) return c.json({ error: 'send either If-Match or If-None-Match, not both' }, 400);
    if (ifMatch === undefined && ifNoneMatch === undefined) {
      return c.json({ error: "If-Match is required: the file's ETag (from GET), or If-None-Match: * to create a new file" }, 428);
    }
    const precondition: WritePrecondition = ifMatch !== undefined ? { kind: 'ifMatch', etags: parseIfMatch(ifMatch) } : { kind: 'ifNoneMatch' };
    const body = await readText(c);
    if (body.refused) return body.refused;

    const outcome = await deps.editor.put(target.path, body.text, precondition).catch((e: unknown) => refusedPath(c, e));
    if (outcome instanceof Response) return outcome;
    if (outcome.kind === 'stale') {
      const error = outcome.current === null ? 'the file does not exist (create it with If-None-Match: *)' : precondition.kind === 'ifNoneMatch' ? 'the file already exists' : 'the file changed since it was read';
      return c.json({ error, etag: outcome.current }, 412);
    }
    if (outcome.kind === 'invalid') return c.json({ error: INVALID, errors: outcome.errors }, 422);

    const audit = {
      actor: deps.actor,
      action: 'PUT /admin/rules/{path}',
      target: target.path,
      beforeSha256: outcome.before,
      afterSha256: outcome.etag,
      ...(outcome.kind === 'reloadFailed' ? { detail: { reloaded: false } } : {}),
      requestId: c.get('requestId'),
    };
    const log = c.get('log');
    log?.info({ event: 'admin.rules_written', path: target.path, before: outcome.before, after: outcome.etag, reloaded: outcome.kind === 'written' }, 'rule file written through the admin API');
    // The file is written and active whatever the audit store says: answering an error now would
    // send the client into a retry that can only be a 412. The log line carries the audit entry.
    await deps.store?.recordAudit(audit).catch((error: unknown) => log?.error({ event: 'admin.audit_failed', audit, err: error }, 'the audit entry of a rule write could not be stored'));
    c.header('etag', quoted(outcome.etag));
    if (outcome.kind === 'reloadFailed') {
      return c.json({ error: 'the file was written, but the folder as it is now on disk does not load; the previous rules stay active', errors: outcome.errors }, 409);
    }
    return c.json({ path: target.path, etag: outcome.etag }, outcome.created ? 201 : 200);
  });
  return routes;
}
