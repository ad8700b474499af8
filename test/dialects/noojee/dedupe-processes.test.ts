import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../support/cli-process.js';
import { rulesWithDedupe } from '../../support/dedupe-rules.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../../support/test-backend.js';

/*
 * SPEC 5 for a match key other than the phone: 50 concurrent inserts of one email, each with its
 * own phone, through two leadgate processes sharing one server database, create exactly one lead.
 * Server PostgreSQL only (PGlite is one process's store).
 */

const KEY = 'dedupe-processes-key';
let backend: TestBackend;
let dir: string;
const servers: ServerProcess[] = [];

describe.skipIf(!SERVER_URL)('two leadgate processes, one database', () => {
  beforeAll(async () => {
    backend = await openTestBackend();
    dir = await rulesWithDedupe();
    for (let i = 0; i < 2; i += 1) {
      servers.push(await startServerProcess({ DATABASE_URL: backend.url, RULES_DIR: dir, LEADGATE_API_KEYS: KEY, LEADGATE_DEMO: '0', LOG_LEVEL: 'info' }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await backend?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('50 concurrent inserts of the same email: one lead, 49 answers 105 matchedOn email', async () => {
    const email = 'race@example.com';
    const query = `apiKey=${KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const server = servers[i % 2]!;
        const res = await fetch(`${server.base}/servicemanager/rest/CampaignAPI/insertLeadFast?${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ phone: `04${String(51_000_000 + i)}`, email: i % 3 === 0 ? email.toUpperCase() : email }),
        });
        return (await res.json()) as { code: number; matchedOn?: string };
      }),
    );
    expect(answers.filter((a) => a.code === 0)).toHaveLength(1);
    expect(answers.filter((a) => a.code === 105 && a.matchedOn === 'email')).toHaveLength(49);
    const [row] = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where lower(fields->>'email') = $1`, [email]);
    expect(row!.n).toBe(1);
  }, 60_000);
});
