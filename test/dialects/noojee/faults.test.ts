import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, createTestApp, noojeeUrl, postNoojee, type TestApp } from '../../support/test-app.js';

describe('oversized bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ maxBodyBytes: 2048 });
  });
  afterAll(async () => {
    await t.close();
  });

  const expected = { code: 203, message: 'PAYLOAD_TOO_LARGE', description: 'the body is larger than 2048 bytes' };

  it('answers 203 from the declared Content-Length', async () => {
    const res = await postNoojee(t.app, 'insertLeadsFast', [{ phone: '0412345678', notes: 'x'.repeat(4000) }]);
    expect(res.status).toBe(413);
    expect(res.body).toEqual(expected);
  });

  it('answers 203 for a streamed body without a length, reading no further than the limit', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode(' '.repeat(1024)));
        if (pulled > 1000) controller.close();
      },
    });
    const response = await t.app.request(noojeeUrl('insertLeadFast'), {
      method: 'POST',
      body: stream,
      duplex: 'half', // required by undici for a streamed request body
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(expected);
    expect(pulled).toBeLessThan(10);
  });
});

describe('store faults', () => {
  it('answers 207 with Retry-After when the store cannot be reached, and writes nothing', async () => {
    const t = await createTestApp();
    await t.backend.close();
    const res = await postNoojee(t.app, 'insertLeadFast', { phone: '0412345678' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body).toEqual({
      code: 207,
      message: 'STORE_UNAVAILABLE',
      description: 'The lead store could not be reached; nothing of this request was written unless its answer said so. Retry later.',
    });
  });

  it('answers 103 with the request id, no stack, and logs the error', async () => {
    const t = await createTestApp();
    await t.backend.runner.query('drop table phone_claims cascade');
    const res = await postNoojee(t.app, 'insertLeadFast', { phone: '0412345678' });
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toEqual({ code: 103, message: 'EXCEPTION', description: `server error; quote request id ${requestId} to support` });
    const logged = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'http.unhandled_error');
    expect(logged).toMatchObject({ requestId, level: 50 });
  });
});

describe('hostile and malformed bodies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  const post = async (body: string | Uint8Array, contentType?: string) => {
    const r = await t.app.request(noojeeUrl('insertLeadFast'), { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });
    return { status: r.status, body: (await r.json()) as unknown };
  };
  const malformed = (description: string) => ({ status: 400, body: { code: 204, message: 'MALFORMED_REQUEST', description } });

  it.each([
    ['multipart/form-data; boundary=x', 'the Noojee CampaignAPI takes a JSON body (Content-Type: application/json); this request sent multipart/form-data'],
    ['application/xml', 'the Noojee CampaignAPI takes a JSON body (Content-Type: application/json); this request sent application/xml'],
  ])('refuses content type %s', async (type, description) => {
    expect(await post('{"phone":"0412345678"}', type)).toEqual(malformed(description));
  });

  it.each([['application/json; charset=utf-8'], ['application/x-www-form-urlencoded'], ['text/plain'], ['application/vnd.api+json']])(
    'reads a JSON body sent as %s',
    async (type) => {
      expect((await post(JSON.stringify({ phone: `04170${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}` }), type)).body).toMatchObject({ code: 0 });
    },
  );

  it('refuses a body that is not UTF-8', async () => {
    expect(await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]))).toEqual(malformed('the body is not valid UTF-8'));
  });

  it('accepts a byte-order mark before the JSON', async () => {
    expect((await post('\ufeff{"phone":"0417123456"}')).body).toMatchObject({ code: 0 });
  });

  it.each([
    ['too many fields', Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`f${i}`, 'x'])), 'a lead may have at most 500 fields, got 501'],
    ['a long field name', { phone: '0412345678', ['n'.repeat(201)]: 1 }, 'field names must be 1 to 200 characters long'],
    ['a long value', { phone: '0412345678', notes: 'x'.repeat(10_001) }, "field 'notes' is longer than 10000 characters"],
  ])('refuses %s', async (_name, lead, description) => {
    expect(await post(JSON.stringify(lead))).toEqual(malformed(description));
  });

  it('treats __proto__ as a refused field name, polluting nothing', async () => {
    expect(await post('{"phone":"0412345678","__proto__":{"polluted":true}}')).toEqual(malformed("'__proto__' is not allowed as a field name"));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const res = await post('{"phone":"0417654321","constructor":"x","prototype":"y"}');
    expect(res.body).toMatchObject({ code: 0 });
  });
});

describe('request logs', () => {
  it('carry a request id and never the API key', async () => {
    const t = await createTestApp();
    try {
      await postNoojee(t.app, 'insertLeadFast', { phone: '0412345670' });
      const lines = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const request = lines.find((l) => l.event === 'http.request');
      expect(request).toMatchObject({ method: 'POST', path: '/servicemanager/rest/CampaignAPI/insertLeadFast', status: 200, requestId: expect.any(String) });
      expect(request!.query).toBe('?apiKey=[REDACTED]&fTemplateId=1&fCampaignId=10&fAllocationId=100');
      expect(t.logLines.join('\n')).not.toContain(API_KEY);
    } finally {
      await t.close();
    }
  });
});
