import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const inject = (rows: unknown) => postNoojee(t.app, 'injectLeads', rows);
const codes = (body: Record<string, unknown>) => (body.results as Array<{ code: number }>).map((r) => r.code);

/** Seed 000's example data set, exactly as written (blank cells are empty strings). */
const SEED_ROWS = [
  ['<No Change>', '', '1', 'MODIFY', 'SALE', '', ''],
  ['<No Change>', '<No Change>', '2', 'MODIFY', 'SALE', '', ''],
  ['<No Change>', 'sutton', '3', 'REALLOCATE', 'SALE', '2016/12/31 14:23:00', 'a15-2'],
  ['383208134', '<No Change>', '4', 'MODIFY', 'SALE', '', ''],
  ['383208135', 'Smith', '5', 'MODIFY', 'SALE', '', ''],
  ['383208112', '<No Change>', '6', 'MODIFY', 'Call Back', '2016/12/25 03:15:00', ''],
  ['<No Change>', 'Thomson', '7', 'MODIFY', 'SALE', '', ''],
  ['<No Change>', '<No Change>', '8', 'MODIFY', 'busy', '', ''],
  ['123', 'Johnston', '9', 'MODIFY', 'SALE', '', ''],
  ['<No Change>', 'Davies', '10', 'MODIFY', 'SALE', '', ''],
].map(([phone, Surname, njExternalLeadId, NjAction, njDisposition, njCallBackDate, njAllocationName]) => ({
  phone,
  Surname,
  njExternalLeadId,
  NjAction,
  njDisposition,
  njCallBackDate,
  njAllocationName,
}));

describe('injectLeads', () => {
  it("runs seed 000's example data set as written and leaves the leads it describes", async () => {
    const added = await inject(Array.from({ length: 10 }, (_, i) => ({ phone: `0412 000 0${String(i + 10)}`, Surname: `Original ${i + 1}`, njExternalLeadId: String(i + 1), NjAction: 'ADD' })));
    expect(added.body.counts).toEqual({ '0': 10 });

    const res = await inject(SEED_ROWS);
    expect(res.status).toBe(200);
    // row 9's phone "123" is not an AU phone number: 202 (SPEC 2), and lead 9 stays as it was
    expect(codes(res.body)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 202, 0]);
    expect(res.body.counts).toEqual({ '0': 9, '202': 1 });

    const leads = await t.backend.runner.query<Record<string, unknown>>(
      `select external_id, allocation_id, state, disposition, phones, fields->>'Surname' as surname, callback_at, version
       from leads order by external_id::int, id`,
    );
    const original = (n: number) => `+61412000${String(n + 9).padStart(3, '0')}`;
    expect(leads).toEqual([
      { external_id: '1', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: [original(1)], surname: '', callback_at: null, version: 2 },
      { external_id: '2', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: [original(2)], surname: 'Original 2', callback_at: null, version: 2 },
      { external_id: '3', allocation_id: 100, state: 'reallocated', disposition: 'SALE', phones: [original(3)], surname: 'sutton', callback_at: null, version: 2 },
      { external_id: '3', allocation_id: 101, state: 'active', disposition: null, phones: [original(3)], surname: 'sutton', callback_at: new Date('2016-12-31T03:23:00.000Z'), version: 1 },
      { external_id: '4', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: ['+61383208134'], surname: 'Original 4', callback_at: null, version: 2 },
      { external_id: '5', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: ['+61383208135'], surname: 'Smith', callback_at: null, version: 2 },
      { external_id: '6', allocation_id: 100, state: 'active', disposition: 'Call Back', phones: ['+61383208112'], surname: 'Original 6', callback_at: new Date('2016-12-24T16:15:00.000Z'), version: 2 },
      { external_id: '7', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: [original(7)], surname: 'Thomson', callback_at: null, version: 2 },
      { external_id: '8', allocation_id: 100, state: 'active', disposition: 'busy', phones: [original(8)], surname: 'Original 8', callback_at: null, version: 2 },
      { external_id: '9', allocation_id: 100, state: 'active', disposition: null, phones: [original(9)], surname: 'Original 9', callback_at: null, version: 1 },
      { external_id: '10', allocation_id: 100, state: 'closed', disposition: 'SALE', phones: [original(10)], surname: 'Davies', callback_at: null, version: 2 },
    ]);
    const records = await t.backend.runner.query<{ n: number }>(`select count(*)::int as n from call_records where source = 'injectLeads'`);
    expect(records[0]!.n).toBe(9);
  });

  it('answers 115 for REALLOCATE without a known allocation, 204 for an unknown njAction, in order with ADD rows', async () => {
    const res = await inject([
      { phone: '0412111001', njExternalLeadId: 'I-1' },
      { phone: '<No Change>', njExternalLeadId: 'I-1', njAction: 'reallocate', njDisposition: 'busy' },
      { phone: '<No Change>', njExternalLeadId: 'I-1', njAction: 'REALLOCATE', njDisposition: 'busy', njAllocationName: 'nowhere' },
      { phone: '<No Change>', njExternalLeadId: 'I-1', njAction: 'DELETE' },
      { phone: '<No Change>', njExternalLeadId: 'I-1', njaction: 'modify', njDisposition: 'busy' },
      { phone: '0412111002', njExternalLeadId: 'I-2', njAction: 'add' },
    ]);
    expect(res.body.results).toEqual([
      { index: 0, code: 0, message: 'OK', leadId: expect.any(String) },
      { index: 1, code: 115, message: 'ALLOCATION_ID_REQUIRED', description: 'REALLOCATE needs njAllocationName' },
      { index: 2, code: 115, message: 'ALLOCATION_ID_REQUIRED', description: "njAllocationName 'nowhere' names no allocation of campaign 10" },
      { index: 3, code: 204, message: 'MALFORMED_REQUEST', description: "unknown njAction 'DELETE': use ADD, MODIFY or REALLOCATE" },
      { index: 4, code: 0, message: 'OK', leadId: expect.any(String) },
      { index: 5, code: 0, message: 'OK', leadId: expect.any(String) },
    ]);
  });
});
