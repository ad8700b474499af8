import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { csvLine } from '../../src/cli/inject/rejected-file.js';

export const COLUMNS = ['phone', 'mobile', 'firstName', 'njExternalLeadId', 'njAction', 'njDisposition', 'njAllocationName', 'njPriority', 'njCallBackDate', 'note'] as const;
type Row = Partial<Record<(typeof COLUMNS)[number], string>>;

export interface ExpectedRow {
  /** the row's firstName: unique, so rejected rows can be matched back */
  name: string;
  /** first run's answer */
  code: number;
  kind: 'add' | 'update';
  /** a REALLOCATE row's copy is a new lead */
  createsLeads: number;
}

const phone = (i: number) => `0412${String(i).padStart(6, '0')}`;

/**
 * Row i of the file by i % 100: mostly good ADD rows (even ones with an external id, odd ones
 * without, so leadgate derives one), a duplicate phone, broken rows (no usable phone, a junk
 * second phone, <No Change> on ADD, bad priority, unknown njAction, bad callback date), a MODIFY
 * and a REALLOCATE of the row before, and a MODIFY of a lead that does not exist.
 */
export function fixtureRow(i: number): { row: Row; expected: ExpectedRow } {
  const name = `Name ${i}`;
  const base: Row = { phone: phone(i), firstName: name, ...(i % 2 === 0 ? { njExternalLeadId: `E-${i}` } : {}) };
  const expect = (code: number, kind: 'add' | 'update' = 'add', createsLeads = code === 0 && kind === 'add' ? 1 : 0) => ({ name, code, kind, createsLeads });
  switch (i % 100) {
    case 3:
      return { row: { ...base, note: 'said "hi", then left' }, expected: expect(0) };
    case 7:
      return { row: { ...base, phone: phone(i - 1).replace(/^0412/, '+61 412 ') }, expected: expect(105) };
    case 13:
      return { row: { ...base, phone: 'not a number', note: 'quote " comma , and\na line break' }, expected: expect(102) };
    case 17:
      return { row: { ...base, mobile: '12345' }, expected: expect(202) };
    case 23:
      return { row: { ...base, note: '<No Change>' }, expected: expect(108) };
    case 29:
      return { row: { ...base, njPriority: 'high' }, expected: expect(201) };
    case 31:
      return { row: { ...base, njAction: 'DELETE' }, expected: expect(204) };
    case 37:
      return { row: { phone: '<No Change>', firstName: name, njExternalLeadId: `E-${i - 1}`, njAction: 'MODIFY', njDisposition: 'busy' }, expected: expect(0, 'update') };
    case 41:
      return { row: { phone: '<No Change>', firstName: name, njExternalLeadId: `NOPE-${i}`, njAction: 'modify', njDisposition: 'busy' }, expected: expect(101, 'update') };
    case 53:
      return {
        row: { phone: '<No Change>', firstName: name, njExternalLeadId: `E-${i - 1}`, njAction: 'REALLOCATE', njDisposition: 'busy', njAllocationName: 'a15-2' },
        expected: expect(0, 'update', 1),
      };
    case 61:
      return { row: { ...base, njCallBackDate: '2026/13/45 10:00' }, expected: expect(114) };
    default:
      return { row: base, expected: expect(0) };
  }
}

/** Writes `rows` fixture rows as CSV (streamed); the expectations are recomputed with fixtureRow. */
export async function writeFixtureCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const put = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await put(csvLine(COLUMNS));
  for (let i = 0; i < rows; i += 1) {
    const { row } = fixtureRow(i);
    await put(csvLine(COLUMNS.map((c) => row[c] ?? '')));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

export function expectations(rows: number) {
  const byCode: Record<string, number> = {};
  let accepted = 0;
  let rejected = 0;
  let leads = 0;
  let addsAccepted = 0;
  let updatesAccepted = 0;
  const rejectedRows = new Map<string, number>();
  for (let i = 0; i < rows; i += 1) {
    const { expected } = fixtureRow(i);
    byCode[expected.code] = (byCode[expected.code] ?? 0) + 1;
    leads += expected.createsLeads;
    if (expected.code === 0) {
      accepted += 1;
      if (expected.kind === 'add') addsAccepted += 1;
      else updatesAccepted += 1;
    } else {
      rejected += 1;
      rejectedRows.set(expected.name, expected.code);
    }
  }
  return { byCode, accepted, rejected, leads, addsAccepted, updatesAccepted, rejectedRows };
}
