import { createServer } from 'node:net';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createApiKeyCheck } from '../../src/http/api-keys.js';
import { buildNodeDeps } from '../../src/entry/node-deps.js';
import { postgresRunner } from '../../src/store/backends/postgres-runner.js';
import { BASIC_RULES, createTestApp, loadRules, memoryLog } from '../support/test-app.js';

const NOT_READY = { status: 'not ready', checks: { store: 'unreachable', rules: 'ok' } };

/** The log lines of failed readiness checks, parsed. */
const readyzWarnings = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown> & { err?: { message?: string } }).filter((l) => l.event === 'readyz.store_unreachable');

/** A loopback port nothing listens on (bound, then let go). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
    const gone = await t.app.request('/readyz', { headers: { 'x-request-id': 'ready-1' } });
    expect(gone.status).toBe(503);
    // the answer says what is wrong, never the driver's words: they go to the log
    expect(await gone.text()).toBe(JSON.stringify(NOT_READY));
    const [warning, ...more] = readyzWarnings(t.logLines);
    expect(more).toEqual([]);
    expect(warning).toMatchObject({ level: 40, requestId: 'ready-1', msg: 'readiness check: the store did not answer' });
    expect(warning!.err!.message).toMatch(t.backend.kind === 'pglite' ? /PGlite is closed/ : /CONNECTION_ENDED|ended/i);
    // liveness does not depend on the store
    expect((await t.app.request('/healthz')).status).toBe(200);
  });

  it('says "unreachable" for a PostgreSQL server nothing answers on, and logs the driver error', async () => {
    const port = await deadPort();
    const url = `postgres://leadgate:secret-password@127.0.0.1:${port}/leadgate_prod`;
    const sql = postgres(url, { max: 2, connect_timeout: 2, onnotice: () => {} });
    const log = memoryLog();
    const deps = buildNodeDeps({
      backend: { kind: 'postgres', runner: postgresRunner(sql), close: () => sql.end({ timeout: 1 }) },
      rules: await loadRules(BASIC_RULES),
      logger: log.logger,
      config: { isApiKey: createApiKeyCheck(['k']), maxBatch: 10, maxBodyBytes: 1024, demo: false, adminToken: undefined },
      admission: { slots: 1, queueTimeoutMs: 1000 },
    });
    try {
      const res = await createApp(deps).request('/readyz');
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toBe(JSON.stringify(NOT_READY));
      expect(text).not.toContain(String(port));
      const [warning] = readyzWarnings(log.lines);
      expect(warning!.err!.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await deps.close();
      await sql.end({ timeout: 1 });
    }
  });
});
