import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresBackend } from '../../../src/store/backends/postgres.js';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';
import { SERVER_URL } from '../../support/test-backend.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const codes = (results: Array<{ body: Record<string, unknown> }>) => results.map((r) => r.body.code as number).sort((a, b) => a - b);

describe('concurrent inserts create exactly one lead', () => {
  it('50 parallel inserts of one phone: one 0, 49 105', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postNoojee(t.app, 'insertLeadFast', { phone: i % 2 ? '0413000001' : '+61413000001' })),
    );
    expect(codes(results)).toEqual([0, ...Array<number>(49).fill(105)]);
    const rows = await t.backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where phones @> array['+61413000001']`);
    expect(rows[0]!.n).toBe(1);
  });

  it('50 parallel inserts of one external id: one 0, 49 112', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postNoojee(t.app, 'insertLeadFast', { phone: `04130${String(10000 + i)}`, njExternalLeadId: 'RACE-1' })),
    );
    expect(codes(results)).toEqual([0, ...Array<number>(49).fill(112)]);
  });

  it('parallel batches with overlapping phones give every phone one lead', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `04140${String(10000 + i)}`);
    const batches = Array.from({ length: 8 }, (_, b) =>
      // every batch holds all phones, in a different order
      phones.map((_, i) => ({ phone: phones[(i * (b + 1) * 7) % phones.length] })),
    );
    const results = await Promise.all(batches.map((batch) => postNoojee(t.app, 'insertLeadsFast', batch)));
    const created = results.reduce((sum, r) => sum + ((r.body.counts as Record<string, number>)['0'] ?? 0), 0);
    const distinct = new Set(batches.flat().map((l) => l.phone)).size;
    expect(created).toBe(distinct);
    const rows = await t.backend.runner.query<{ e164: string; n: number }>(
      `select p as e164, count(*)::int as n from leads, unnest(phones) p where p like '+614140%' group by p having count(*) > 1`,
    );
    expect(rows).toEqual([]);
  });
});

describe.runIf(SERVER_URL)('two leadgate processes on one PostgreSQL', () => {
  it('50 parallel inserts of one phone split across two app instances: one lead', async () => {
    const secondBackend = await openPostgresBackend(t.backend.url!, { poolSize: 20 });
    const second = await createTestApp({ backend: { ...secondBackend, url: t.backend.url } });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => postNoojee(i % 2 ? t.app : second.app, 'insertLeadFast', { phone: '0415000001', njExternalLeadId: `TWO-${i}` })),
      );
      expect(codes(results)).toEqual([0, ...Array<number>(49).fill(105)]);
      const ext = await Promise.all(
        Array.from({ length: 50 }, (_, i) => postNoojee(i % 2 ? t.app : second.app, 'insertLeadFast', { phone: `04150${String(20000 + i)}`, njExternalLeadId: 'TWO-EXT' })),
      );
      expect(codes(ext)).toEqual([0, ...Array<number>(49).fill(112)]);
    } finally {
      await secondBackend.close();
    }
  });
});
