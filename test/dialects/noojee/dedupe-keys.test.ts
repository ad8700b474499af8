import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesWithDedupe } from '../../support/dedupe-rules.js';
import { createTestApp, postNoojee, type TestApp } from '../../support/test-app.js';

/* SPEC 3.1 match keys through the Noojee dialect: single, batch and injector; allowDuplicates skips every key. */

let t: TestApp;
let dir: string;
beforeAll(async () => {
  dir = await rulesWithDedupe();
  t = await createTestApp({ rulesDir: dir });
});
afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
const mobile = () => `04${String(30_000_000 + (serial += 1) * 7919).slice(-8)}`;
const email = () => `lead.${(serial += 1)}@example.com`;
const insert = (lead: unknown, query = {}) => postNoojee(t.app, 'insertLeadFast', lead, query);

const DUPLICATE_EMAIL = { code: 105, message: 'DUPLICATE', description: 'a lead with the same email already exists', matchedOn: 'email' };

describe('insertLeadFast with match keys', () => {
  it('answers 105 with matchedOn for a duplicate by email; a phone duplicate answers as it always did', async () => {
    const address = email();
    const phone = mobile();
    expect((await insert({ phone, email: address, firstName: 'Ada', lastName: 'Lovelace' })).body).toMatchObject({ code: 0 });
    const byEmail = await insert({ phone: mobile(), email: ` ${address.toUpperCase()}` });
    expect(byEmail.status).toBe(400);
    expect(byEmail.body).toEqual(DUPLICATE_EMAIL);
    const byPhone = await insert({ phone, email: email() });
    expect(byPhone.body).toEqual({ code: 105, message: 'DUPLICATE', description: 'a lead with one of these phone numbers already exists' });
  });

  it('allowDuplicates=true skips every key', async () => {
    const address = email();
    expect((await insert({ phone: mobile(), email: address })).body.code).toBe(0);
    expect((await insert({ phone: mobile(), email: address }, { allowDuplicates: 'true' })).body.code).toBe(0);
    expect((await insert({ phone: mobile(), email: address })).body).toEqual(DUPLICATE_EMAIL);
  });

  it('checks in the template scope: another campaign of the same template is not a duplicate', async () => {
    const address = email();
    expect((await insert({ phone: mobile(), email: address })).body.code).toBe(0);
    expect((await insert({ phone: mobile(), email: address }, { fCampaignId: 11, fAllocationId: 110 })).body.code).toBe(0);
  });
});

describe('insertLeadsFast and injectLeads with match keys', () => {
  it('a batch with duplicates inside it by email: the later rows are 105 with matchedOn', async () => {
    const address = email();
    const res = await postNoojee(t.app, 'insertLeadsFast', [
      { phone: mobile(), email: address },
      { phone: mobile(), email: email() },
      { phone: mobile(), email: address.toUpperCase() },
    ]);
    expect(res.body).toMatchObject({
      code: 0,
      results: [
        { index: 0, code: 0 },
        { index: 1, code: 0 },
        { index: 2, code: 105, message: 'DUPLICATE', matchedOn: 'email' },
      ],
      counts: { '0': 2, '105': 1 },
    });
  });

  it('the injector: an ADD row duplicating an earlier row by email is 105 with matchedOn', async () => {
    const address = email();
    const res = await postNoojee(t.app, 'injectLeads', [
      { NjAction: 'ADD', phone: mobile(), email: address, njExternalLeadId: `inj-${serial}` },
      { NjAction: 'ADD', phone: mobile(), email: address, njExternalLeadId: `inj-${serial}-b` },
    ]);
    expect(res.body).toMatchObject({ results: [{ code: 0 }, { code: 105, matchedOn: 'email' }] });
  });

  it('an update that changes the email moves the claim: the old email is free, the new one taken', async () => {
    const before = email();
    const after = email();
    const external = `upd-${serial}`;
    expect((await insert({ phone: mobile(), email: before, njExternalLeadId: external })).body.code).toBe(0);
    const update = await postNoojee(t.app, 'updateLeadFast', { njExternalLeadId: external, phone: '<No Change>', email: after, njDisposition: 'busy' });
    expect(update.body.code).toBe(0);
    expect((await insert({ phone: mobile(), email: before })).body.code).toBe(0);
    expect((await insert({ phone: mobile(), email: after })).body).toEqual(DUPLICATE_EMAIL);
  });
});

describe('a template whose only key is first name + last name + phone', () => {
  let names: TestApp;
  let namesDir: string;
  beforeAll(async () => {
    namesDir = await rulesWithDedupe('dedupe: { scope: campaign, on: [[firstName, lastName, phone]] }');
    names = await createTestApp({ rulesDir: namesDir });
  });
  afterAll(async () => {
    await names.close();
    await rm(namesDir, { recursive: true, force: true });
  });

  it('matches the names with any of the phone fields; the phone alone is not a key', async () => {
    const phone = mobile();
    expect((await postNoojee(names.app, 'insertLeadFast', { phone: mobile(), mobile: phone, firstName: 'Grace', lastName: 'Hopper' })).body.code).toBe(0);
    expect((await postNoojee(names.app, 'insertLeadFast', { phone, firstName: 'Alan', lastName: 'Turing' })).body.code).toBe(0);
    const res = await postNoojee(names.app, 'insertLeadFast', { phone, firstName: 'GRACE ', lastName: 'hopper' });
    expect(res.body).toEqual({ code: 105, message: 'DUPLICATE', description: 'a lead with the same firstName+lastName+phone already exists', matchedOn: 'firstName+lastName+phone' });
  });
});
