import { OpenAPIHono } from '@hono/zod-openapi';
import { ADMIN_DOCS } from '../admin/docs.js';
import { DELIVERY_DOCS } from '../admin/delivery-docs.js';
import { DEMO_DIALER_DOCS } from '../demo/dialer-schemas.js';
import { DEMO_DOCS } from '../demo/schemas.js';
import { CONVOSO_DOCS } from '../dialects/convoso/docs.js';
import { HOOK_DOCS } from '../dialects/hooks/schemas.js';
import { NOOJEE_DOCS } from '../dialects/noojee/docs.js';
import { noojeeLead } from '../dialects/noojee/schemas.js';
import { OPS_DOCS } from './ops-docs.js';
import { codeTable, type RouteDoc } from './route-doc.js';

export interface ApiDocOptions {
  /** the demo CRM and dialer routes are served (and so documented) only while the demo is on */
  demo: boolean;
}

/** Every documented route, module by module; a new route module adds its list here. */
function routeDocs(options: ApiDocOptions): RouteDoc[] {
  return [...NOOJEE_DOCS, ...CONVOSO_DOCS, ...HOOK_DOCS, ...ADMIN_DOCS, ...DELIVERY_DOCS, ...OPS_DOCS, ...(options.demo ? [...DEMO_DOCS, ...DEMO_DIALER_DOCS] : [])];
}

const DESCRIPTION = `leadgate is a lead-ingestion gateway for call centres. It speaks the Noojee Contact
CampaignAPI (\`/servicemanager/rest/CampaignAPI/*\`) and the Convoso lead API (\`/v1/*\`), takes
signed CRM webhooks (\`/hooks/{source}\`), and has an admin API (\`/admin/*\`, bearer token).

Result codes: one table for every entry point. Noojee answers \`{"code", "message", "description"}\`
with the HTTP status below; Convoso answers HTTP 200 with its own codes where it has them
(6002, 6007–6011, 6079) and these codes otherwise.

${codeTable()}`;

/** The OpenAPI 3.1 document, generated from the zod schemas the handlers parse with. */
export function buildOpenApiDocument(options: ApiDocOptions): Record<string, unknown> {
  // OpenAPIHono serves nothing here: it is the registry and the 3.1 generator; the routes are plain Hono.
  const builder = new OpenAPIHono();
  // referenced by the lead envelopes, which let each lead through as it is (see noojee/schemas.ts)
  builder.openAPIRegistry.register('NoojeeLead', noojeeLead);
  builder.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer', description: 'LEADGATE_ADMIN_TOKEN' });
  for (const doc of routeDocs(options)) builder.openAPIRegistry.registerPath(doc);
  const document = builder.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'leadgate', version: '0.1.0', description: DESCRIPTION },
    tags: [
      { name: 'Noojee CampaignAPI', description: 'SPEC 2. All POST with a JSON body; the HTTP status follows the code.' },
      { name: 'Convoso', description: 'SPEC 4. Parameters in the query string, a form body or a flat JSON body.' },
      { name: 'Webhooks', description: 'SPEC 3.4. Signed CRM webhooks, one per rules/sources/<name>.yaml.' },
      { name: 'Admin', description: 'SPEC 7. `Authorization: Bearer $LEADGATE_ADMIN_TOKEN`.' },
      { name: 'Operations' },
      { name: 'Documentation' },
      ...(options.demo
        ? [
            { name: 'Demo CRM', description: 'Served while LEADGATE_DEMO is on.' },
            { name: 'Demo dialer', description: 'Served while LEADGATE_DEMO is on; the shipped rules forward the demo campaign to it (SPEC 10.5).' },
          ]
        : []),
    ],
  });
  return document as unknown as Record<string, unknown>;
}
