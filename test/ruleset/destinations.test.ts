import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { CompiledDestination } from '../../src/forward/ports.js';
import { destinationsForwarding, forwardTargets } from '../../src/forward/routing.js';
import type { RuleFile } from '../../src/ruleset/rule-file.js';
import { compileRuleSet } from '../../src/ruleset/rule-set.js';
import { BASIC_RULES } from '../support/test-app.js';

const dialer: RuleFile = { path: 'dialer.yaml', text: await readFile(join(BASIC_RULES, 'dialer.yaml'), 'utf8') };
const ENV = { NOOJEE_KEY: 'nj-key-1234567', CONVOSO_TOKEN: 'cv-token-89', VD_USER: 'api', VD_PASS: 'vd-pass-secret', VD_SOURCE: 'leadgate', HTTP_TOKEN: 'http-tok-42' };
const LITERAL = 'a secret must come from the environment: write ${env:NAME} (a literal secret is allowed only in a file marked demo: true)';
const NEVER = 'this route would never match';

const NOOJEE = {
  version: 1,
  kind: 'noojee',
  url: 'https://pbx.example.com',
  credentials: { apiKey: '${env:NOOJEE_KEY}' },
  routes: [{ match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }],
};
const CONVOSO = { version: 1, kind: 'convoso', url: 'https://api.convoso.com', credentials: { authToken: '${env:CONVOSO_TOKEN}' }, routes: [{ match: { campaignId: 10 }, to: { listId: 55 } }] };
const VICIDIAL = {
  version: 1,
  kind: 'vicidial',
  url: 'https://vici.example.com',
  credentials: { user: '${env:VD_USER}', pass: '${env:VD_PASS}', source: '${env:VD_SOURCE}' },
  routes: [{ match: { templateId: 1 }, to: { listId: 101, campaignId: 'SOLAR' } }],
};
const HTTP = {
  version: 1,
  kind: 'http',
  url: 'https://hooks.example.com/leads?src=leadgate',
  credentials: { headers: { Authorization: 'Bearer ${env:HTTP_TOKEN}' } },
  routes: [{ match: { allocationId: 100 } }],
  http: { success: { key: '$.status', value: 'ok' }, leadId: '$.id' },
};

const file = (spec: object, path = 'destinations/dialer.yaml'): RuleFile => ({ path, text: stringify(spec) });

function load(files: RuleFile[], env: Record<string, string> = ENV) {
  return compileRuleSet([dialer, ...files], env);
}
function errorsOf(spec: object, env: Record<string, string> = ENV) {
  const result = load([file(spec)], env);
  return result.ok ? [] : result.errors;
}
function destination(spec: object, env: Record<string, string> = ENV): CompiledDestination {
  const result = load([file(spec)], env);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.rules.destinations.get('dialer')!;
}
const error = (path: string, message: string) => ({ file: 'destinations/dialer.yaml', path, message });

describe('a destination file loads', () => {
  it('with the SPEC defaults', () => {
    const d = destination(NOOJEE);
    expect({ ...d, forward: [...d.forward] }).toEqual({
      name: 'dialer',
      file: 'destinations/dialer.yaml',
      kind: 'noojee',
      url: 'https://pbx.example.com',
      credentials: { apiKey: ENV.NOOJEE_KEY },
      headers: {},
      routes: [{ match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }],
      forward: ['insert'],
      mode: 'queue',
      syncTimeoutMs: 5000,
      timeoutMs: 70_000,
      maxConcurrency: 2,
      ratePerSecond: 0,
      batch: 100,
      retry: { firstDelayMs: 120_000, maxDelayMs: 3_600_000, maxAttempts: 48 },
      allowPrivateNetwork: false,
      adaptor: [],
      circuit: { failureThreshold: 5, openMs: 30_000 },
      secrets: [ENV.NOOJEE_KEY],
    });
  });

  it.each([
    ['convoso', CONVOSO],
    ['vicidial', VICIDIAL],
    ['http', HTTP],
  ])('batch defaults to 1 for kind %s', (_kind, spec) => {
    expect(destination(spec).batch).toBe(1);
  });

  it('with every setting given', () => {
    const d = destination({
      ...NOOJEE,
      forward: ['insert', 'update'],
      mode: 'sync',
      syncTimeoutMs: 3000,
      timeoutMs: 90_000,
      maxConcurrency: 8,
      ratePerSecond: 2.5,
      batch: 500,
      retry: { firstDelayMs: 1000 },
      circuit: { failureThreshold: 3 },
      adaptor: [{ field: 'phone', mappedTo: 'phone_number' }],
    });
    expect({ forward: [...d.forward], mode: d.mode, syncTimeoutMs: d.syncTimeoutMs, timeoutMs: d.timeoutMs, maxConcurrency: d.maxConcurrency, ratePerSecond: d.ratePerSecond, batch: d.batch }).toEqual({
      forward: ['insert', 'update'],
      mode: 'sync',
      syncTimeoutMs: 3000,
      timeoutMs: 90_000,
      maxConcurrency: 8,
      ratePerSecond: 2.5,
      batch: 500,
    });
    expect(d.retry).toEqual({ firstDelayMs: 1000, maxDelayMs: 3_600_000, maxAttempts: 48 });
    expect(d.circuit).toEqual({ failureThreshold: 3, openMs: 30_000 });
    expect(d.adaptor).toEqual([{ field: 'phone', mappedTo: 'phone_number' }]);
  });

  it('named after its file, from .yaml, .yml and .json alike', () => {
    const result = load([file(NOOJEE, 'destinations/a.yaml'), file(CONVOSO, 'destinations/b.yml'), { path: 'destinations/c.json', text: JSON.stringify(VICIDIAL) }]);
    expect(result.ok && [...result.rules.destinations.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('the per-kind route ids as written: they are the dialer’s, not checked against dialer.yaml', () => {
    expect(destination(CONVOSO).routes[0]!.to).toEqual({ listId: 55 });
    expect(destination(VICIDIAL).routes[0]!.to).toEqual({ listId: 101, campaignId: 'SOLAR' });
    expect(destination({ ...VICIDIAL, routes: [{ match: { templateId: 1 }, to: { listId: 101 } }] }).routes[0]!.to).toEqual({ listId: 101 });
    expect(destination(HTTP).routes[0]!.to).toEqual({});
    expect(destination({ ...HTTP, routes: [{ match: { allocationId: 100 }, to: { queue: 'solar', priority: 2 } }] }).routes[0]!.to).toEqual({ queue: 'solar', priority: 2 });
  });
});

describe('URLs', () => {
  it.each([
    ['https://pbx.example.com/', 'https://pbx.example.com'],
    ['https://pbx.example.com/base//', 'https://pbx.example.com/base'],
    ['HTTPS://PBX.example.com:8443/x', 'https://pbx.example.com:8443/x'],
  ])('a dialer base URL %s is kept without a trailing slash: %s', (url, stored) => {
    expect(destination({ ...NOOJEE, url }).url).toBe(stored);
  });

  it('kind http keeps its full URL, query included', () => {
    expect(destination(HTTP).url).toBe('https://hooks.example.com/leads?src=leadgate');
  });

  it('private addresses load with allowPrivateNetwork: true', () => {
    expect(destination({ ...NOOJEE, url: 'http://127.0.0.1:8080/demo/dialer/', allowPrivateNetwork: true }).url).toBe('http://127.0.0.1:8080/demo/dialer');
  });

  it.each([
    ['pbx.example.com', 'not an absolute URL'],
    ['ftp://pbx.example.com', 'scheme must be http or https, not ftp'],
    ['https://user:pw@pbx.example.com', 'credentials in the URL are not allowed; put them under credentials'],
    ['http://10.1.2.3', 'address 10.1.2.3 is loopback, private, link-local or reserved; set allowPrivateNetwork: true to allow it'],
    ['http://localhost:8080', 'host name localhost refers to the local or an internal network; set allowPrivateNetwork: true to allow it'],
    ['https://pbx.example.com/?x=1', "a noojee url is the dialer's base URL: leadgate appends the paths and query, so it may hold no query"],
    ['https://pbx.example.com/#top', 'a URL fragment is never sent; remove it'],
  ])('%s is a load error', (url, message) => {
    expect(errorsOf({ ...NOOJEE, url })).toEqual([error('url', message)]);
  });
});

describe('credentials', () => {
  it('are resolved from the environment, and every resolved value is a secret, longest first', () => {
    expect(destination(VICIDIAL).credentials).toEqual({ user: 'api', pass: 'vd-pass-secret', source: 'leadgate' });
    expect(destination(VICIDIAL).secrets).toEqual(['vd-pass-secret', 'leadgate', 'api']);
    expect(destination(CONVOSO).credentials).toEqual({ authToken: 'cv-token-89' });
    const http = destination(HTTP);
    expect(http.headers).toEqual({ Authorization: 'Bearer http-tok-42' });
    expect(http.credentials).toEqual({});
    expect(http.secrets).toEqual(['Bearer http-tok-42', 'http-tok-42']);
  });

  it.each([
    ['noojee', NOOJEE, { apiKey: 'abc' }, ['credentials.apiKey']],
    ['convoso', CONVOSO, { authToken: 'abc' }, ['credentials.authToken']],
    ['vicidial', VICIDIAL, { user: 'u', pass: 'p', source: 's' }, ['credentials.user', 'credentials.pass', 'credentials.source']],
    ['http', HTTP, { headers: { 'X-Api-Key': 'abc', Accept: 'application/json' } }, ['credentials.headers.X-Api-Key', 'credentials.headers.Accept']],
  ])('a literal %s credential is a load error, every one', (_kind, spec, credentials, paths) => {
    expect(errorsOf({ ...spec, credentials })).toEqual(paths.map((path) => error(path, LITERAL)));
  });

  it('literal credentials load in a file marked demo: true, and are secrets all the same', () => {
    const d = destination({ demo: true, ...NOOJEE, credentials: { apiKey: 'demo-key' } }, { LEADGATE_DEMO: '1' });
    expect(d.credentials).toEqual({ apiKey: 'demo-key' });
    expect(d.secrets).toEqual(['demo-key']);
  });

  it('a demo destination is left out with LEADGATE_DEMO=0', () => {
    const result = load([file({ demo: true, ...NOOJEE, credentials: { apiKey: 'demo-key' } })], { LEADGATE_DEMO: '0' });
    expect(result.ok && result.rules.destinations.size).toBe(0);
    expect(result.ok && result.rules.demoFiles).toEqual({ loaded: [], skipped: ['destinations/dialer.yaml'] });
  });

  it('a variable that is not set is a load error', () => {
    expect(errorsOf(NOOJEE, {})).toEqual([error('credentials.apiKey', 'environment variable NOOJEE_KEY is not set (referenced as ${env:NOOJEE_KEY})')]);
  });

  it.each([
    ['noojee', NOOJEE, {}, [['credentials.apiKey', 'required']]],
    ['convoso', CONVOSO, { apiKey: '${env:CONVOSO_TOKEN}' }, [['credentials.authToken', 'required'], ['credentials', 'Unrecognized key: "apiKey"']]],
    ['vicidial', VICIDIAL, { user: '${env:VD_USER}' }, [['credentials.pass', 'required'], ['credentials.source', 'required']]],
    ['http', HTTP, {}, [['credentials.headers', 'required: a map of header names to values ({} for none)']]],
  ])('%s needs exactly its own credential keys', (_kind, spec, credentials, errors) => {
    expect(errorsOf({ ...spec, credentials })).toEqual(errors.map(([path, message]) => error(path!, message!)));
  });

  it('credentials missing altogether say what the kind needs', () => {
    const { credentials: _, ...noCredentials } = VICIDIAL;
    expect(errorsOf(noCredentials)).toEqual([error('credentials', 'required: { user, pass, source }')]);
  });

  it('an http header leadgate sets itself is a load error', () => {
    expect(errorsOf({ ...HTTP, credentials: { headers: { Host: '${env:HTTP_TOKEN}' } } })).toEqual([error('credentials.headers.Host', 'header Host is set by leadgate and cannot be configured')]);
  });
});

describe('load errors', () => {
  it.each<[string, object, Array<[string, string]>]>([
    ['an unknown kind', { ...NOOJEE, kind: 'asterisk' }, [['kind', 'kind must be one of noojee, convoso, vicidial, http']]],
    ['dnc forwarded to noojee', { ...NOOJEE, forward: ['insert', 'dnc'] }, [['forward[1]', 'Noojee has no DNC API: a noojee destination cannot forward dnc']]],
    ['an unknown event', { ...CONVOSO, forward: ['delete'] }, [['forward[0]', 'Invalid option: expected one of "insert"|"update"|"dnc"']]],
    ['no event', { ...CONVOSO, forward: [] }, [['forward', 'forward at least one event (insert, update, dnc)']]],
    ['batch on convoso', { ...CONVOSO, batch: 10 }, [['batch', 'batch is for kind noojee only (insertLeadsFast); other kinds send one lead a call']]],
    ['batch on http', { ...HTTP, batch: 2 }, [['batch', 'batch is for kind noojee only (insertLeadsFast); other kinds send one lead a call']]],
    ['a noojee batch over 1000', { ...NOOJEE, batch: 1001 }, [['batch', 'Too big: expected number to be <=1000']]],
    ['no routes', { ...NOOJEE, routes: [] }, [['routes', 'a destination needs at least one route (a lead no route matches is not forwarded)']]],
    ['an empty match', { ...NOOJEE, routes: [{ match: {}, to: NOOJEE.routes[0]!.to }] }, [['routes[0].match', 'match needs at least one of templateId, campaignId, allocationId']]],
    ['a match id that is not an integer', { ...NOOJEE, routes: [{ match: { campaignId: '10' }, to: NOOJEE.routes[0]!.to }] }, [['routes[0].match.campaignId', 'must be a positive integer']]],
    ['an unknown match key', { ...NOOJEE, routes: [{ match: { listId: 1 }, to: NOOJEE.routes[0]!.to }] }, [['routes[0].match', 'Unrecognized key: "listId"'], ['routes[0].match', 'match needs at least one of templateId, campaignId, allocationId']]],
    ['a noojee route without to', { ...NOOJEE, routes: [{ match: { campaignId: 10 } }] }, [['routes[0].to', "required: the dialer's { templateId, campaignId, allocationId }"]]],
    ['a noojee to missing an id', { ...NOOJEE, routes: [{ match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7 } }] }, [['routes[0].to.allocationId', 'required: a positive integer']]],
    ['a noojee to id that is not an integer', { ...NOOJEE, routes: [{ match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7.5, allocationId: 21 } }] }, [['routes[0].to.campaignId', 'must be a positive integer']]],
    ['a convoso to without listId', { ...CONVOSO, routes: [{ match: { campaignId: 10 }, to: { list: 5 } }] }, [['routes[0].to.listId', 'required: a positive integer'], ['routes[0].to', 'Unrecognized key: "list"']]],
    ['a vicidial to without listId', { ...VICIDIAL, routes: [{ match: { campaignId: 10 }, to: { campaignId: 'SOLAR' } }] }, [['routes[0].to.listId', 'required: a positive integer']]],
    ['an http to holding an object', { ...HTTP, routes: [{ match: { campaignId: 10 }, to: { queue: { a: 1 } } }] }, [['routes[0].to.queue', 'must be a string or a number']]],
    ['a retry whose cap is below its first delay', { ...NOOJEE, retry: { firstDelayMs: 5000, maxDelayMs: 1000 } }, [['retry.maxDelayMs', 'must be at least firstDelayMs']]],
    ['an unknown key', { ...NOOJEE, timeout: 5 }, [['', 'Unrecognized key: "timeout"']]],
    ['two adaptor rows to one name', { ...NOOJEE, adaptor: [{ field: 'phone', mappedTo: 'phone1' }, { field: 'mobile', mappedTo: 'phone1' }] }, [['adaptor[1].mappedTo', '"phone1" is already mapped by adaptor[0]']]],
  ])('%s', (_what, spec, errors) => {
    expect(errorsOf(spec)).toEqual(errors.map(([path, message]) => error(path, message)));
  });

  it.each<[string, object, Array<[string, string]>]>([
    ['a template not in dialer.yaml', { templateId: 9 }, [['routes[0].match.templateId', `template 9 does not exist in dialer.yaml: ${NEVER}`]]],
    ['a campaign not in dialer.yaml', { campaignId: 99 }, [['routes[0].match.campaignId', `campaign 99 does not exist in dialer.yaml: ${NEVER}`]]],
    ['an allocation not in dialer.yaml', { allocationId: 999 }, [['routes[0].match.allocationId', `allocation 999 does not exist in dialer.yaml: ${NEVER}`]]],
    ['a campaign of another template', { templateId: 2, campaignId: 10 }, [['routes[0].match.campaignId', `campaign 10 is not of template 2 in dialer.yaml: ${NEVER}`]]],
    ['an allocation of another campaign', { campaignId: 11, allocationId: 100 }, [['routes[0].match.allocationId', `allocation 100 is not in campaign 11 in dialer.yaml: ${NEVER}`]]],
    ['an allocation of another template', { templateId: 2, allocationId: 100 }, [['routes[0].match.allocationId', `allocation 100 is not of template 2 in dialer.yaml: ${NEVER}`]]],
  ])('a route matching %s never matches: a load error', (_what, match, errors) => {
    expect(errorsOf({ ...NOOJEE, routes: [{ match, to: NOOJEE.routes[0]!.to }] })).toEqual(errors.map(([path, message]) => error(path, message)));
  });

  it('a match naming ids that belong together loads', () => {
    expect(errorsOf({ ...NOOJEE, routes: [{ match: { templateId: 1, campaignId: 11, allocationId: 110 }, to: NOOJEE.routes[0]!.to }] })).toEqual([]);
  });

  it('two files with one name are a load error', () => {
    const result = load([file(NOOJEE, 'destinations/x.json'), file(CONVOSO, 'destinations/x.yaml')]);
    expect(result.ok ? [] : result.errors).toEqual([{ file: 'destinations/x.yaml', path: '', message: "a destination named 'x' already exists" }]);
  });

  it('every error of the file at once', () => {
    expect(errorsOf({ ...NOOJEE, url: 'http://10.0.0.1', credentials: { apiKey: 'literal' }, routes: [{ match: { campaignId: 99 }, to: NOOJEE.routes[0]!.to }] })).toEqual([
      error('url', 'address 10.0.0.1 is loopback, private, link-local or reserved; set allowPrivateNetwork: true to allow it'),
      error('credentials.apiKey', LITERAL),
      error('routes[0].match.campaignId', `campaign 99 does not exist in dialer.yaml: ${NEVER}`),
    ]);
  });
});

describe('kind http: reading the answer', () => {
  it('success is a row of the duplicate-check shape; leadId a JSONPath', () => {
    const reading = destination(HTTP).http!;
    expect(reading.succeeded({ status: ' OK ' })).toBe(true);
    expect(reading.succeeded({ status: 'failed' })).toBe(false);
    expect(reading.succeeded({})).toBe(false);
    expect(reading.succeeded('ok')).toBe(false);
    expect(reading.leadId({ status: 'ok', id: 4711 })).toBe('4711');
    expect(reading.leadId({ status: 'ok', id: 'L-9' })).toBe('L-9');
    expect(reading.leadId({ status: 'ok', id: { nested: 1 } })).toBeNull();
    expect(reading.leadId({ status: 'ok' })).toBeNull();
  });

  it.each<[object, object, boolean]>([
    [{ key: '$.result.code', op: 'in', value: [0, 201] }, { result: { code: 201 } }, true],
    [{ key: '$.result.code', op: 'in', value: [0, 201] }, { result: { code: 500 } }, false],
    [{ key: '$.errors', op: 'notExists' }, { ok: true }, true],
    [{ key: '$.errors', op: 'notExists' }, { errors: [] }, false],
    [{ key: '$.message', op: 'regex', value: '^accepted' }, { message: 'accepted lead 5' }, true],
    [{ key: '$.count', op: 'gte', value: 1 }, { count: '0' }, false],
  ])('success %j on %j: %s', (success, answer, expected) => {
    expect(destination({ ...HTTP, http: { success } }).http!.succeeded(answer)).toBe(expected);
  });

  it('without leadId no answer names a lead id', () => {
    expect(destination({ ...HTTP, http: { success: { key: '$.ok', value: true } } }).http!.leadId({ ok: true, id: 5 })).toBeNull();
  });

  it.each<[string, object, Array<[string, string]>]>([
    ['http missing', { ...HTTP, http: undefined }, [['http', 'required: how to read the answer: { success: { key, op?, value }, leadId? }']]],
    ['http on noojee', { ...NOOJEE, http: HTTP.http }, [['http', 'http (how to read the answer) is for kind http only']]],
    ['a key that is not JSONPath', { ...HTTP, http: { success: { key: 'status', value: 'ok' } } }, [['http.success.key', expect.stringMatching(/^JSONPath "status": /) as unknown as string]]],
    ['a value that does not suit the op', { ...HTTP, http: { success: { key: '$.s', op: 'in', value: 'ok' } } }, [['http.success.value', 'op in needs a non-empty list of values']]],
    ['an unsafe regex', { ...HTTP, http: { success: { key: '$.s', op: 'regex', value: '(a+)+$' } } }, [['http.success.value', 'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)']]],
    ['a leadId that is not JSONPath', { ...HTTP, http: { success: { key: '$.s', value: 'ok' }, leadId: 'id' } }, [['http.leadId', expect.stringMatching(/^JSONPath "id": /) as unknown as string]]],
    ['an unknown key in success', { ...HTTP, http: { success: { key: '$.s', value: 'ok', createLead: true } } }, [['http.success', 'Unrecognized key: "createLead"']]],
  ])('%s is a load error', (_what, spec, errors) => {
    expect(errorsOf(spec)).toEqual(errors.map(([path, message]) => error(path, message)));
  });
});

describe('forwardTargets', () => {
  const noojeeTo = (n: number) => ({ templateId: n, campaignId: n, allocationId: n });
  const rules = load([
    file({ ...NOOJEE, routes: [
      { match: { allocationId: 101 }, to: noojeeTo(1) },
      { match: { campaignId: 10 }, to: noojeeTo(2) },
      { match: { templateId: 1, campaignId: 11 }, to: noojeeTo(3) },
    ] }, 'destinations/a-noojee.yaml'),
    file({ ...CONVOSO, routes: [{ match: { templateId: 1 }, to: { listId: 7 } }] }, 'destinations/b-convoso.yaml'),
    file({ ...VICIDIAL, forward: ['update', 'dnc'], routes: [{ match: { templateId: 1 }, to: { listId: 9 } }] }, 'destinations/c-updates-only.yaml'),
  ]);
  if (!rules.ok) throw new Error(JSON.stringify(rules.errors));
  const { destinations } = rules.rules;
  const lead = (templateId: number, campaignId: number, allocationId: number) => ({ templateId, campaignId, allocationId });

  it('the first route that matches wins, per destination', () => {
    expect(forwardTargets(destinations, lead(1, 10, 101), 'insert')).toEqual([
      { destination: 'a-noojee', to: noojeeTo(1) },
      { destination: 'b-convoso', to: { listId: 7 } },
    ]);
    expect(forwardTargets(destinations, lead(1, 10, 100), 'insert')).toEqual([
      { destination: 'a-noojee', to: noojeeTo(2) },
      { destination: 'b-convoso', to: { listId: 7 } },
    ]);
  });

  it('every id a match gives must hold', () => {
    expect(forwardTargets(destinations, lead(1, 11, 110), 'insert')[0]).toEqual({ destination: 'a-noojee', to: noojeeTo(3) });
    // campaign 11 with another template: the third route does not hold
    expect(forwardTargets(destinations, lead(2, 11, 110), 'insert')).toEqual([]);
  });

  it('a lead no route matches is not forwarded there', () => {
    expect(forwardTargets(destinations, lead(2, 20, 200), 'insert')).toEqual([]);
    expect(forwardTargets(new Map(), lead(1, 10, 100), 'insert')).toEqual([]);
  });

  it('only destinations forwarding the event', () => {
    expect(destinationsForwarding(destinations, 'insert')).toEqual(['a-noojee', 'b-convoso']);
    expect(destinationsForwarding(destinations, 'update')).toEqual(['c-updates-only']);
    expect(destinationsForwarding(destinations, 'dnc')).toEqual(['c-updates-only']);
  });

  it('each rule set answers by its own destinations', () => {
    const other = load([file({ ...CONVOSO, routes: [{ match: { campaignId: 20 }, to: { listId: 8 } }] }, 'destinations/z.yaml')]);
    if (!other.ok) throw new Error('did not load');
    expect(forwardTargets(other.rules.destinations, lead(2, 20, 200), 'insert')).toEqual([{ destination: 'z', to: { listId: 8 } }]);
    expect(forwardTargets(destinations, lead(2, 20, 200), 'insert')).toEqual([]);
  });
});
