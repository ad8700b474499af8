import { z } from 'zod';
import { json, routeDoc, type RouteDoc } from './route-doc.js';

const readiness = z
  .object({
    status: z.enum(['ready', 'not ready']),
    checks: z.object({ store: z.string().meta({ description: '`ok`, or why the store did not answer.' }), rules: z.enum(['ok', 'not loaded']) }),
  })
  .meta({ id: 'Readiness' });

const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });

/** Health, metrics and the documentation itself (SPEC 7). */
export const OPS_DOCS: RouteDoc[] = [
  routeDoc({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tags: ['Operations'],
    summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive.', content: json(z.object({ status: z.literal('ok') }), { ok: { status: 'ok' } }) } },
  }),
  routeDoc({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tags: ['Operations'],
    summary: 'Readiness: the store answers and rules are loaded',
    responses: {
      200: { description: 'Ready.', content: json(readiness, { ready: { status: 'ready', checks: { store: 'ok', rules: 'ok' } } }) },
      503: { description: 'Not ready.', content: json(readiness, { storeDown: { status: 'not ready', checks: { store: 'no answer in 2000 ms', rules: 'ok' } } }) },
    },
  }),
  routeDoc({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['Operations'],
    summary: 'Prometheus metrics',
    description: 'Requests by route, status and result code, latency histograms, the admission gate, CRM calls by connect and outcome, circuit states, rule reloads.',
    responses: { 200: text('Prometheus text exposition format.') },
  }),
  routeDoc({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tags: ['Documentation'],
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document.', content: json(z.record(z.string(), z.unknown())) } },
  }),
  routeDoc({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tags: ['Documentation'],
    summary: 'Interactive documentation (Swagger UI, served by leadgate itself)',
    responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: z.string() } } } },
  }),
  routeDoc({
    method: 'get',
    path: '/docs/assets/{name}',
    operationId: 'docsAsset',
    tags: ['Documentation'],
    summary: "The documentation page's scripts and styles",
    request: { params: z.object({ name: z.string().meta({ example: 'swagger-ui.css' }) }) },
    responses: { 200: text('The asset.'), 404: text('No such asset.') },
  }),
];
