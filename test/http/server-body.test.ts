import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, createTestApp, noojeeUrl, type TestApp } from '../support/test-app.js';

/*
 * On Node the app reads request bodies from @hono/node-server's IncomingMessage, not from a web
 * Request (read-body.ts). app.request() never takes that path, so these tests go through a real
 * server on loopback.
 */
let t: TestApp;
let server: ServerType;
let base: string;
beforeAll(async () => {
  t = await createTestApp({ maxBodyBytes: 4096 });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const leadCount = async (phone: string) =>
  (await t.backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones @> array[$1::text]`, [phone]))[0]!.n;

/** A raw POST whose body arrives in chunks without a Content-Length; `abortAfter` cuts it off. */
function chunkedPost(path: string, chunks: string[], options: { abortAfter?: number } = {}) {
  return new Promise<{ status: number; body: string } | 'aborted'>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => (options.abortAfter !== undefined ? resolve('aborted') : reject(error)));
    chunks.forEach((chunk, i) => {
      setTimeout(() => {
        if (options.abortAfter === i) {
          req.destroy();
          return;
        }
        req.write(chunk);
        if (i === chunks.length - 1) req.end();
      }, i * 5);
    });
  });
}

describe('request bodies read from the Node server stream', () => {
  it('inserts a lead whose body came in chunks', async () => {
    const answer = await chunkedPost(noojeeUrl('insertLeadFast'), ['{"phone": "04190', '00001", "firstName"', ': "Ada"}']);
    expect(answer).not.toBe('aborted');
    if (answer === 'aborted') return;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 0, message: 'OK' });
    expect(await leadCount('+61419000001')).toBe(1);
  });

  it('answers 203 to a streamed body past the limit and still hears the next request', async () => {
    const filler = 'x'.repeat(1000);
    const chunks = ['{"phone": "0419000002", "notes": "', ...Array.from({ length: 8 }, () => filler), '"}'];
    const answer = await chunkedPost(noojeeUrl('insertLeadFast'), chunks);
    expect(answer).not.toBe('aborted');
    if (answer === 'aborted') return;
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ code: 203, message: 'PAYLOAD_TOO_LARGE', description: 'the body is larger than 4096 bytes' });
    expect(await leadCount('+61419000002')).toBe(0);
    const next = await fetch(`${base}/healthz`);
    expect(next.status).toBe(200);
  });

  it('answers 203 from a declared Content-Length without reading the body', async () => {
    const res = await fetch(`${base}${noojeeUrl('insertLeadFast')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '0419000003', notes: 'y'.repeat(5000) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 203 });
    expect(await leadCount('+61419000003')).toBe(0);
  });

  it('ends a request whose client went away mid-body (no hanging read), stores nothing of it, and keeps serving', async () => {
    const finished = () => t.logLines.map((l) => JSON.parse(l) as { event?: string; path?: string; status?: number }).filter((l) => l.event === 'http.request' && l.path?.endsWith('/insertLeadFast'));
    const before = finished().length;
    const answer = await chunkedPost(noojeeUrl('insertLeadFast'), ['{"phone": "0419000004", ', '"firstName": "Cut"', '}'], { abortAfter: 2 });
    expect(answer).toBe('aborted');
    // the body read must settle on the closed connection: the request's own log line says it ended
    await expect.poll(() => finished().length, { timeout: 5_000 }).toBe(before + 1);
    expect(await leadCount('+61419000004')).toBe(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('takes the body from the server stream it was given, not from the web Request', async () => {
    // app.request passes its third argument as c.env, where @hono/node-server puts the IncomingMessage
    const res = await t.app.request(
      noojeeUrl('insertLeadFast'),
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: '0419000007' }) },
      { incoming: Readable.from([Buffer.from('{"phone": '), Buffer.from('"0419000008"}')]) },
    );
    expect(await res.json()).toMatchObject({ code: 0 });
    expect(await leadCount('+61419000008')).toBe(1);
    expect(await leadCount('+61419000007')).toBe(0);
  });

  it('reads the body once for Idempotency-Key and the handler alike: a replay is the first answer', async () => {
    const send = () =>
      fetch(`${base}${noojeeUrl('insertLeadFast')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'server-body-1' },
        body: JSON.stringify({ phone: '0419000005' }),
      });
    const first = await send();
    const firstBody = await first.text();
    const replay = await send();
    expect(replay.status).toBe(first.status);
    expect(await replay.text()).toBe(firstBody);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(JSON.parse(firstBody)).toMatchObject({ code: 0 });
    expect(await leadCount('+61419000005')).toBe(1);
  });

  it('reads a Convoso form body', async () => {
    const res = await fetch(`${base}/v1/leads/insert`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ auth_token: API_KEY, list_id: '100', phone_number: '0419000006', phone_code: '61' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, data: { lead_id: expect.any(String) } });
    expect(await leadCount('+61419000006')).toBe(1);
  });
});
