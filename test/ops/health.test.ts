import { describe, expect, it } from 'vitest';
import { createTestApp } from '../support/test-app.js';

describe('health', () => {
  it('reports live and ready while the store answers, not ready once it is gone', async () => {
    const t = await createTestApp();
    const live = await t.app.request('/healthz');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await t.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'ok', rules: 'ok' } });

    await t.backend.close();
    const gone = await t.app.request('/readyz');
    expect(gone.status).toBe(503);
    expect(await gone.json()).toMatchObject({ status: 'not ready', checks: { rules: 'ok', store: expect.not.stringMatching(/^ok$/) } });
    // liveness does not depend on the store
    expect((await t.app.request('/healthz')).status).toBe(200);
  });
});
