import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestLog, type AppVariables } from '../../src/http/request-log.js';
import { memoryLog } from '../support/test-app.js';

/*
 * Every answer carries X-Request-Id, whichever way it was built: by Hono's context (c.json, the
 * error handler), or as a Response the handler made itself. The header is set before the handler
 * runs (so Hono builds it into its answer) and only set afterwards on an answer that lacks it.
 */
function app() {
  const { lines, logger } = memoryLog();
  const hono = new Hono<{ Variables: AppVariables }>();
  hono.use(requestLog(logger, () => 'generated-id'));
  hono.get('/json', (c) => c.json({ ok: true }, 201));
  hono.get('/raw', () => new Response('raw', { status: 202, headers: { 'content-type': 'text/plain' } }));
  hono.get('/fetched', () => Response.redirect('http://127.0.0.1/elsewhere', 302));
  hono.get('/throws', () => {
    throw new Error('boom');
  });
  hono.onError((_error, c) => c.json({ error: 'internal' }, 500));
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'http.request');
  return { hono, logged };
}

describe('request log: X-Request-Id on every answer', () => {
  it.each([
    ['/json', 201],
    ['/raw', 202],
    ['/fetched', 302],
    ['/throws', 500],
    ['/missing', 404],
  ])('%s answers %i with the generated id and logs one line with that status', async (path, status) => {
    const { hono, logged } = app();
    const res = await hono.request(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toBe('generated-id');
    expect(logged()).toEqual([expect.objectContaining({ requestId: 'generated-id', path, status })]);
  });

  it('keeps the caller’s id (cut to 128 characters) and the answer’s own headers and body', async () => {
    const { hono } = app();
    const res = await hono.request('/json', { headers: { 'x-request-id': 'c'.repeat(200) } });
    expect(res.headers.get('x-request-id')).toBe('c'.repeat(128));
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('hands on the answer the handler built, not a copy of it', async () => {
    // Setting a header on an answer already built makes Hono build a new one around the old one's
    // body stream, which took @hono/node-server off its fast path for every request.
    const { logger } = memoryLog();
    const hono = new Hono<{ Variables: AppVariables }>();
    let passedOn: Response | undefined;
    hono.use(async (c, next) => {
      await next();
      passedOn = c.res;
    });
    hono.use(requestLog(logger, () => 'generated-id'));
    let built: Response | undefined;
    hono.get('/json', (c) => (built = c.json({ ok: true })));
    const res = await hono.request('/json');
    expect(res.headers.get('x-request-id')).toBe('generated-id');
    expect(passedOn).toBe(built);
  });
});
