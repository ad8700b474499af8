import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_CODES } from '../../src/codes.js';
import { convosoFailure, convosoLeadAnswer } from '../../src/dialects/convoso/schemas.js';
import { noojeeAnswer, noojeeBatchAnswer, noojeeUnauthorized } from '../../src/dialects/noojee/schemas.js';
import { buildOpenApiDocument } from '../../src/ops/openapi.js';
import { API_KEY, createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

type Operations = Record<string, Record<string, { responses: Record<string, unknown> }>>;

let t: TestApp;
let document: { openapi: string; paths: Operations; components: { schemas: Record<string, { properties?: Record<string, { enum?: unknown[] }> }> } };
beforeAll(async () => {
  t = await createTestApp({ demo: true });
  const res = await t.app.request('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await res.json()) as typeof document;
});
afterAll(async () => {
  await t.close();
});

/**
 * `METHOD /path/{param}` for every route the app serves; middleware (`use`: method ALL) left out.
 * A handler's trailing `/*` (the admin rule files, whose paths hold slashes) is its `{path}`.
 */
function servedRoutes(app: TestApp['app']): string[] {
  const routes = app.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:([^/]+)/g, '{$1}').replace(/\/\*$/, '/{path}')}`);
  return [...new Set(routes)].sort();
}

function documentedRoutes(paths: Operations): string[] {
  return Object.entries(paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
  });

  it('documents every route the app serves, and only those', () => {
    const served = servedRoutes(t.app);
    expect(served).toContain('POST /servicemanager/rest/CampaignAPI/insertLeadFast');
    expect(served).toContain('POST /hooks/{source}');
    expect(documentedRoutes(document.paths)).toEqual(served);
  });

  it('leaves the demo CRM out when the demo is off', () => {
    const paths = Object.keys(buildOpenApiDocument({ demo: false }).paths as object);
    expect(paths.some((path) => path.startsWith('/demo/'))).toBe(false);
    expect(paths).toContain('/v1/leads/insert');
  });

  it('takes the result codes from the one code table', () => {
    const answer = document.components.schemas.NoojeeAnswer!.properties!;
    expect(answer.code!.enum).toEqual(Object.keys(RESULT_CODES).map(Number));
    expect(answer.message!.enum).toEqual(Object.values(RESULT_CODES).map((info) => info.message));
  });

  it('documents the Noojee query parameters and the Idempotency-Key header', () => {
    const insert = document.paths['/servicemanager/rest/CampaignAPI/insertLeadFast']!.post as unknown as { parameters: { name: string; in: string }[] };
    expect(insert.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
      'query:apiKey',
      'query:fTemplateId',
      'query:fCampaignId',
      'query:fAllocationId',
      'query:allowDuplicates',
      'header:Idempotency-Key',
    ]);
  });
});

describe('the answer schemas describe real answers', () => {
  let serial = 0;
  const phone = () => `04${String(91_000_000 + serial++ * 7919).slice(-8)}`;

  it('Noojee: a lead, a refusal, a batch and a 401', async () => {
    const ok = await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    expect(ok.status).toBe(200);
    noojeeAnswer.parse(ok.body);
    const refused = await postNoojee(t.app, 'insertLeadFast', { phone: phone() }, { fTemplateId: 'x' });
    expect(refused.body.code).toBe(116);
    noojeeAnswer.parse(refused.body);
    const same = phone();
    const batch = await postNoojee(t.app, 'insertLeadsFast', [{ phone: same }, { phone: same }, { phone: 'nope' }]);
    expect(batch.body.counts).toEqual({ '0': 1, '102': 1, '105': 1 });
    noojeeBatchAnswer.parse(batch.body);
    noojeeUnauthorized.parse((await postNoojee(t.app, 'insertLeadFast', { phone: phone() }, { apiKey: 'nope' })).body);
  });

  it('Convoso: an insert and a refusal', async () => {
    const insert = async (params: Record<string, string>) => {
      const res = await t.app.request('/v1/leads/insert', { method: 'POST', body: new URLSearchParams({ auth_token: API_KEY, ...params }) });
      return (await res.json()) as unknown;
    };
    convosoLeadAnswer.parse(await insert({ list_id: '100', phone_number: phone().slice(1), phone_code: '61' }));
    convosoFailure.parse(await insert({ list_id: '999', phone_number: phone().slice(1), phone_code: '61' }));
  });
});

describe('GET /docs', () => {
  it('answers an HTML page whose scripts and styles are all same-origin and answer 200', async () => {
    const res = await t.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      // a path on this server: never another host, never protocol-relative
      expect(ref).toMatch(/^\/(?!\/)/);
      const asset = await t.app.request(ref);
      expect(asset.status, ref).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
    }
    expect(refs).toContain('/docs/assets/swagger-ui-bundle.js');
  });

  it("turns off Swagger UI's online validator badge", async () => {
    const init = await (await t.app.request('/docs/assets/init.js')).text();
    expect(init).toContain('validatorUrl: null');
    expect(init).toContain("url: '/openapi.json'");
  });

  it('serves only its own files', async () => {
    for (const name of ['package.json', '..%2Fpackage.json', 'index.html', 'constructor']) {
      expect((await t.app.request(`/docs/assets/${name}`)).status, name).toBe(404);
    }
  });
});
