import { Hono } from 'hono';
import { buildOpenApiDocument } from './openapi.js';

/** The documentation page's static files; the Node entry reads them from the swagger-ui-dist package. */
export interface DocsAssets {
  read(name: string): Promise<{ body: Uint8Array; contentType: string } | undefined>;
}

// Swagger UI's own script must not phone home: no validator badge (validator.swagger.io), no CDN.
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>leadgate API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"><noscript>This page needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/** Without assets (an entry that bundles none) the page still links the document. */
const BARE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leadgate API</title></head>
<body><p>The interactive page is not bundled in this deployment. The OpenAPI 3.1 document is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>
`;

/**
 * `GET /openapi.json`, `GET /docs` and the page's assets, all same-origin: the page works on
 * networks without internet access.
 */
export function createDocsRoutes(deps: { demo: boolean; assets?: DocsAssets }): Hono {
  const routes = new Hono();
  let document: string | undefined;
  routes.get('/openapi.json', (c) => {
    // built on first use, not at start-up: most processes never serve it
    document ??= JSON.stringify(buildOpenApiDocument({ demo: deps.demo }));
    return c.body(document, 200, { 'content-type': 'application/json; charset=utf-8' });
  });
  routes.get('/docs', (c) => c.html(deps.assets ? PAGE : BARE_PAGE));
  routes.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (name === 'init.js') return c.body(INIT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
    const asset = await deps.assets?.read(name);
    if (!asset) return c.text('no such asset', 404);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': asset.contentType, 'cache-control': 'public, max-age=3600' });
  });
  return routes;
}
