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
  it('answers 103 with the request id, no stack, and logs the error', async () => {
    const t = await createTestApp();
    await t.backend.close();
    const res = await postNoojee(t.app, 'insertLeadFast', { phone: '0412345678' });
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body).toEqual({ code: 103, message: 'EXCEPTION', description: `server error; quote request id ${requestId} to support` });
    const logged = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'http.unhandled_error');
    expect(logged).toMatchObject({ requestId, level: 50 });
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
