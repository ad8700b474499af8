import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DocsAssets } from '../ops/docs-routes.js';

/** The only files served, so a name can never walk out of the package folder. */
const FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Swagger UI's files from the installed swagger-ui-dist package, read once and kept. */
export function createNodeDocsAssets(): DocsAssets {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Uint8Array>>();
  return {
    async read(name) {
      const contentType = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
      if (!contentType) return undefined;
      let body = cache.get(name);
      if (!body) {
        body = readFile(join(dir, name));
        cache.set(name, body);
        body.catch(() => cache.delete(name));
      }
      return { body: await body, contentType };
    },
  };
}
