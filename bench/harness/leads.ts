import type { NewLead } from '../../src/pipeline/ports.js';
/**
 * The leads the benchmark sends, and the phone numbers they carry.
 *
 * Load phones are Australian mobiles `04BB NNN NNN`: block BB (00–40, every number of which is a
 * valid AU mobile for libphonenumber's full metadata) holds 1,000,000 numbers, and each load phase
 * gets blocks of its own from `allocatePhoneBlocks`, so phones never repeat within a run.
 * Seeded rows (the de-duplication growth scenario) use 0480 000 000 upwards, which no load uses.
 */
export const PHONES_PER_BLOCK = 1_000_000;
const LAST_BLOCK = 40;
let nextBlock = 0;

/**
 * Every block free again, for the next part: each part writes to databases of its own (fresh
 * server databases, fresh PGlite data dirs), so phones only need to be unique within a part.
 */
export function releasePhoneBlocks(): void {
  nextBlock = 0;
}

export function allocatePhoneBlocks(count = 1): number[] {
  if (nextBlock + count - 1 > LAST_BLOCK) throw new Error('the run used every phone block (04 00–04 40)');
  const blocks = Array.from({ length: count }, (_, i) => nextBlock + i);
  nextBlock += count;
  return blocks;
}

/** National form of the n-th phone of a phase that owns `blocks`, or undefined past its end. */
export function phoneOf(blocks: readonly number[], n: number): string | undefined {
  const block = blocks[Math.floor(n / PHONES_PER_BLOCK)];
  if (block === undefined) return undefined;
  return `04${String(block).padStart(2, '0')}${String(n % PHONES_PER_BLOCK).padStart(6, '0')}`;
}

/** E.164 form of the i-th seeded phone (never used by load): +61 480 000 000 upwards. */
export const SEED_PHONE_BASE = 480_000_000;

/** One lead as a web form or vendor sends it: eight fields, one of them the phone. */
export function benchLead(phone: string, externalId: string): Record<string, string> {
  return {
    phone,
    firstName: 'Sam',
    surname: 'Benchmark',
    email: `lead${externalId}@example.com`,
    postcode: '3000',
    state: 'VIC',
    source: 'bench',
    njExternalLeadId: externalId,
  };
}

export const BENCH_API_KEY = 'bench';
export const NOOJEE = '/servicemanager/rest/CampaignAPI';
/** template 1 (dedupe: campaign), campaign 10, allocation 100 of test/fixtures/rules/basic */
export const TARGET_QUERY = `apiKey=${BENCH_API_KEY}&fTemplateId=1&fCampaignId=10&fAllocationId=100`;

/** A lead as validation hands it to the store (template 1, campaign 10), for the experiments that drive the store alone. */
export function storeLead(n: number): NewLead {
  const phone = `+6148${String(n).padStart(7, '0')}`;
  return {
    templateId: 1,
    campaignId: 10,
    allocationId: 100,
    externalId: null,
    status: null,
    callbackAt: null,
    priority: 10,
    contactHours: 'Melbourne',
    fields: { phone, firstName: 'Sam' },
    phones: [phone],
    dedupe: 'campaign',
  };
}
