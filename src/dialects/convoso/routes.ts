import { Hono, type Context } from 'hono';
import type { ApiKeyCheck } from '../../http/api-keys.js';
import type { AppVariables } from '../../http/request-log.js';
import type { AdmissionGate } from '../../pipeline/admission-gate.js';
import type { PipelineDeps } from '../../pipeline/insert-leads.js';
import { StoreUnavailableError } from '../../pipeline/ports.js';
import type { RulesProvider } from '../../ruleset/rules-holder.js';
import { addDncRoutes } from './dnc-routes.js';
import { addInsertRoutes } from './insert-routes.js';
import { addLeadRoutes } from './lead-routes.js';
import { readConvosoParams } from './params.js';
import { convosoError, FORBIDDEN, type ConvosoAnswer } from './render.js';

export interface ConvosoDeps extends PipelineDeps {
  gate: AdmissionGate;
  rules: RulesProvider;
  config: { isApiKey: ApiKeyCheck; maxBodyBytes: number };
}

type Env = { Variables: AppVariables };
export type ConvosoHandler = (p: Record<string, string>, c: Context<Env>) => Promise<ConvosoAnswer>;
/** Registers a /v1 endpoint for GET and POST: Convoso's clients send the same call both ways. */
export type ConvosoRoute = (path: string, handler: ConvosoHandler) => void;

function send(c: Context<Env>, answer: ConvosoAnswer) {
  const code = answer.body.code;
  c.set('resultCode', typeof code === 'number' ? code : 0);
  if (answer.retryAfterSeconds !== undefined) c.header('Retry-After', String(answer.retryAfterSeconds));
  return c.json(answer.body, answer.status);
}

/** The Convoso lead API (SPEC 4), mounted at /v1. */
export function createConvosoRoutes(deps: ConvosoDeps): Hono<Env> {
  const routes = new Hono<Env>();
  const route: ConvosoRoute = (path, handler) =>
    routes.on(['GET', 'POST'], path, async (c) => {
      // parameters from the query string, a form or a flat JSON body, merged (a body value wins)
      const read = await readConvosoParams(c.req.raw, deps.config.maxBodyBytes);
      if (!read.ok) return send(c, convosoError(read.reason === 'tooLarge' ? 'tooLarge' : 'unreadable', read.detail));
      if (!(await deps.config.isApiKey(read.params.auth_token))) return send(c, FORBIDDEN);
      return send(c, await handler(read.params, c));
    });

  addInsertRoutes(route, deps);
  addLeadRoutes(route, deps);
  addDncRoutes(route, deps);

  routes.onError((error, c) => {
    if (error instanceof StoreUnavailableError) {
      c.get('log')?.warn({ event: 'store.unavailable', err: error.cause }, 'lead store unavailable');
      return send(c, convosoError('storeUnavailable'));
    }
    c.get('log')?.error({ event: 'http.unhandled_error', err: error }, 'unhandled error');
    return send(c, convosoError('serverError', `quote request id ${c.get('requestId') ?? 'unknown'} to support`));
  });
  return routes;
}
