/**
 * The benchmark's own servers, each started as a separate process so it shares no event loop with
 * leadgate or the load generator:
 *   `echo`: the reference, a bare Hono echo route on @hono/node-server (parses the JSON body and
 *           answers it back), the least any Hono server on this machine can do per request;
 *   `crm`:  the loopback CRM stub for the duplicate-check scenario, answering `{}` at once;
 *   `echo-stream`: (diagnosis) the echo route reading its body through the Request's web
 *           ReadableStream instead of hono's c.req.json();
 *   `echo-incoming`: (diagnosis) the echo route reading its body from @hono/node-server's Node
 *           IncomingMessage (c.env.incoming), so no web Request is ever built;
 *   `noojee`: a 0 ms Noojee dialer for the forwarding part (noojee-stub.ts).
 * Usage: node --import tsx bench/harness/stub-server.ts echo|crm|noojee PORT
 */
import { createServer } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { startNoojeeStub } from './noojee-stub.js';

const [mode, portText] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'echo') {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.post('*', async (c) => c.json(await c.req.json()));
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`echo listening on ${port}`));
} else if (mode === 'echo-stream') {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.post('*', async (c) => {
    const reader = c.req.raw.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    return c.json(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))));
  });
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`echo-stream listening on ${port}`));
} else if (mode === 'echo-incoming') {
  const app = new Hono<{ Bindings: { incoming: AsyncIterable<Buffer> } }>();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.post('*', async (c) => {
    const chunks: Buffer[] = [];
    for await (const chunk of c.env.incoming) chunks.push(chunk);
    return c.json(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))));
  });
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`echo-incoming listening on ${port}`));
} else if (mode === 'crm') {
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`crm stub listening on ${port}`));
} else if (mode === 'noojee') {
  startNoojeeStub(port);
} else {
  console.error('usage: stub-server.ts echo|crm|noojee PORT');
  process.exit(2);
}

process.on('SIGTERM', () => process.exit(0));
