import { afterEach, describe, expect, it } from 'vitest';
import { admin } from '../support/admin.js';
import { startFakeVicidial, VICIDIAL_PATH, type FakeVicidial, type VicidialOptions } from '../support/fake-dialers/vicidial.js';
import { allInState, appWithDestination, deliveryRows, destinationYaml, eventually, openedThings } from '../support/forwarding.js';
import { postNoojee, type TestApp } from '../support/test-app.js';

/*
 * Forwarding to a VICIdial system end to end: leads in through leadgate's Noojee endpoints, out
 * through the delivery worker to a fake non_agent_api.php built from VICIdial's NON-AGENT API
 * document (add_lead, update_lead, add_dnc_phone), in both of its answer styles.
 */

const USER = '6666';
const PASS = 'vd-pass-93xk';
const SOURCE = 'leadgate';

interface Setup {
  t: TestApp;
  fake: FakeVicidial;
}

const opened = openedThings();
afterEach(opened.closeAll);

async function setup(settings: Record<string, string> = {}, fakeOptions: VicidialOptions = {}, pass = PASS): Promise<Setup> {
  const fake = await startFakeVicidial({ user: USER, pass: PASS, ...fakeOptions });
  opened.add(() => fake.close());
  const credentials = { user: '${env:VD_USER}', pass: '${env:VD_PASS}', source: '${env:VD_SOURCE}' };
  const t = await appWithDestination(opened, 'vici', destinationYaml('vicidial', fake.url, credentials, settings), { VD_USER: USER, VD_PASS: pass, VD_SOURCE: SOURCE });
  return { t, fake };
}

let phoneSeq = 0;
/** A national AU landline (Noojee dialect) no other test here uses. */
const phone = () => `0385${String(100000 + ((phoneSeq += 7) % 800000)).padStart(6, '0')}`;
/** The same number as VICIdial keeps it: national digits without the trunk 0. */
const atDialer = (national: string) => national.slice(1);

const deliveries = deliveryRows;
const outcomes = async (t: TestApp) =>
  (await t.backend.runner.query<{ outcome: string }>('select outcome from delivery_attempts order by id')).map((a) => a.outcome);
const allSettled = allInState;
/** What a request asked for, as non_agent_api.php reads a POST form. */
const form = (fake: FakeVicidial, i: number) => Object.fromEntries(new URLSearchParams(fake.requests[i]!.body));

describe('add_lead', () => {
  it.each(['documented', 'implementation'] as const)(
    'sends DUPLIST and the stable key, and stores the lead_id of the SUCCESS line (%s answer form)',
    async (style) => {
      const { t, fake } = await setup({}, { style });
      const withKey = phone();
      const withoutKey = phone();
      await postNoojee(t.app, 'insertLeadFast', { phone: withKey, firstName: 'Ann', njExternalLeadId: 'vd-ext-1' });
      const second = await postNoojee(t.app, 'insertLeadFast', { phone: withoutKey });
      t.deliveries.start();
      await eventually('two leads delivered', () => allSettled(t, 2));

      expect(fake.requests.every((r) => r.method === 'POST' && r.path === VICIDIAL_PATH && Object.keys(r.query).length === 0)).toBe(true);
      const sent = [form(fake, 0), form(fake, 1)].sort((a, b) => a.phone_number!.localeCompare(b.phone_number!));
      for (const s of sent) expect(s).toMatchObject({ function: 'add_lead', duplicate_check: 'DUPLIST', list_id: '5', phone_code: '61', user: USER, pass: PASS, source: SOURCE });
      const byPhone = (p: string) => fake.leads.find((l) => l.phone_number === atDialer(p))!;
      expect(byPhone(withKey)).toMatchObject({ vendor_lead_code: 'vd-ext-1', list_id: '5' });
      // an unmapped lead field goes under its own name (a custom field of the list)
      expect(sent.find((s) => s.phone_number === atDialer(withKey))).toMatchObject({ firstName: 'Ann', custom_fields: 'Y' });
      expect(byPhone(withoutKey).vendor_lead_code).toBe(`lg-${second.body.leadId as string}`);

      const rows = await deliveries(t);
      const dialerIdOf = (leadId: unknown) => rows.find((r) => r.lead_id === leadId)!.dialer_lead_id;
      expect(dialerIdOf(second.body.leadId)).toBe(byPhone(withoutKey).lead_id);
      expect(new Set(rows.map((r) => r.dialer_lead_id))).toEqual(new Set(fake.leads.map((l) => l.lead_id)));
    },
  );

  it('VICIdial inserts and cuts the connection: the re-send meets DUPLIST\'s duplicate, counted delivered, one lead at the dialer', async () => {
    const { t, fake } = await setup();
    await fake.set({ cutAfterInsert: 1 });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(await outcomes(t)).toEqual(['unknown', 'delivered']);
    expect(fake.leads).toHaveLength(1);
    expect(fake.requests).toHaveLength(2);
    expect(form(fake, 1)).toMatchObject({ function: 'add_lead', duplicate_check: 'DUPLIST', vendor_lead_code: form(fake, 0).vendor_lead_code });
    const [row] = await deliveries(t);
    // the duplicate answer names the lead already there: the id updates need
    expect(row).toMatchObject({ dialer_lead_id: fake.leads[0]!.lead_id, uncertain: false });
  });

  it('a duplicate the dialer held before (no unknown outcome) is a refusal', async () => {
    const { t, fake } = await setup();
    const p = phone();
    fake.leads.push({ lead_id: '7', list_id: '5', phone_number: atDialer(p), vendor_lead_code: 'someone-else', entry_date: new Date().toISOString() });
    await postNoojee(t.app, 'insertLeadFast', { phone: p });
    t.deliveries.start();
    await eventually('refused', () => allSettled(t, 1, 'refused'));
    expect(await outcomes(t)).toEqual(['refused']);
    expect(fake.leads).toHaveLength(1);
  });
});

describe('update_lead and add_dnc_phone', () => {
  it('an update goes after the insert, to update_lead by the stored lead_id', async () => {
    const { t, fake } = await setup({ forward: '[insert, update]' });
    const p = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: p, njExternalLeadId: 'vd-ext-2' });
    const updated = await postNoojee(t.app, 'updateLeadFast', { phone: p, njExternalLeadId: 'vd-ext-2', njDisposition: 'busy', comments: 'no answer' }, { fAllocationId: null });
    expect(updated.body.code).toBe(0);
    t.deliveries.start();
    await eventually('insert and update delivered', () => allSettled(t, 2));
    expect([form(fake, 0).function, form(fake, 1).function]).toEqual(['add_lead', 'update_lead']);
    const update = form(fake, 1);
    expect(update).toMatchObject({ lead_id: fake.leads[0]!.lead_id, status: 'busy', comments: 'no answer' });
    expect(update).not.toHaveProperty('search_method');
    expect(fake.leads).toHaveLength(1);
    expect(fake.leads[0]).toMatchObject({ status: 'busy', comments: 'no answer' });
  });

  it('a DNC addition goes to add_dnc_phone (the system list for a global entry)', async () => {
    const { t, fake } = await setup({ forward: '[insert, dnc]' });
    const p = phone();
    expect((await admin(t.app, 'POST', '/admin/dnc', { body: { phone: p, reason: 'asked' } })).status).toBe(201);
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(fake.dnc).toEqual([{ phone_number: atDialer(p), campaign_id: 'SYSTEM_INTERNAL' }]);
    expect(form(fake, 0)).toMatchObject({ function: 'add_dnc_phone', phone_number: atDialer(p) });
  });
});

describe('a route naming the dialer\'s campaign', () => {
  it('add_lead carries it, and a campaign\'s DNC entry goes to that campaign\'s list', async () => {
    const fake = await startFakeVicidial({ user: USER, pass: PASS });
    opened.add(() => fake.close());
    const credentials = { user: '${env:VD_USER}', pass: '${env:VD_PASS}', source: '${env:VD_SOURCE}' };
    const yaml = destinationYaml('vicidial', fake.url, credentials, { forward: '[insert, dnc]' }).replace('to: { listId: 5 }', 'to: { listId: 5, campaignId: TESTCAMP }');
    const t = await appWithDestination(opened, 'vici', yaml, { VD_USER: USER, VD_PASS: PASS, VD_SOURCE: SOURCE });

    const leadPhone = phone();
    const campaignDnc = phone();
    const globalDnc = phone();
    await postNoojee(t.app, 'insertLeadFast', { phone: leadPhone });
    expect((await admin(t.app, 'POST', '/admin/dnc', { body: { phone: campaignDnc, reason: 'campaign', campaignId: 10 } })).status).toBe(201);
    expect((await admin(t.app, 'POST', '/admin/dnc', { body: { phone: globalDnc, reason: 'global' } })).status).toBe(201);
    t.deliveries.start();
    await eventually('the insert and both DNC entries delivered', () => allSettled(t, 3));
    expect(fake.leads[0]).toMatchObject({ phone_number: atDialer(leadPhone), list_id: '5' });
    expect(fake.requests.map((_r, i) => form(fake, i)).find((f) => f.function === 'add_lead')).toMatchObject({ campaign_id: 'TESTCAMP' });
    expect(fake.dnc).toEqual(
      expect.arrayContaining([
        { phone_number: atDialer(campaignDnc), campaign_id: 'TESTCAMP' },
        { phone_number: atDialer(globalDnc), campaign_id: 'SYSTEM_INTERNAL' },
      ]),
    );
    expect(fake.dnc).toHaveLength(2);
  });
});

describe('answers', () => {
  it.each(['documented', 'implementation'] as const)('USER DOES NOT HAVE PERMISSION (%s form) is dead after one attempt', async (style) => {
    const { t, fake } = await setup({}, { noPermission: true, style });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead', () => allSettled(t, 1, 'dead'));
    await new Promise((r) => setTimeout(r, 150));
    expect(await outcomes(t)).toEqual(['dead']);
    expect(fake.requests).toHaveLength(1);
    expect(fake.leads).toHaveLength(0);
  });

  it('HTTP 5xx is retried until VICIdial takes the lead', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: { text: 'Internal Server Error', status: 500 }, times: 2 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(await outcomes(t)).toEqual(['retry', 'retry', 'delivered']);
    expect(fake.leads).toHaveLength(1);
  });

  it('the pass is in no attempt record and no log line', async () => {
    const { t, fake } = await setup();
    await fake.set({ answerOverride: { answer: { text: 'Service Unavailable', status: 503 }, times: 1 } });
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('delivered', () => allSettled(t, 1));
    expect(form(fake, 0).pass).toBe(PASS);
    const stored = JSON.stringify(await t.backend.runner.query('select request, answer from delivery_attempts'));
    expect(stored).toContain('add_lead');
    expect(stored).not.toContain(PASS);
    expect(t.logLines.join('\n')).not.toContain(PASS);
  });

  it('a login the dialer refuses echoes the pass leadgate sent: it is redacted from the answer kept, the log and the admin API', async () => {
    const stale = 'vd-stale-pass-71';
    const { t, fake } = await setup({}, {}, stale);
    await postNoojee(t.app, 'insertLeadFast', { phone: phone() });
    t.deliveries.start();
    await eventually('dead', () => allSettled(t, 1, 'dead'));
    expect(form(fake, 0).pass).toBe(stale);
    const [row] = await t.backend.runner.query<{ id: string; last_answer: string }>('select id::text, last_answer from deliveries');
    // the dialer's words stay readable; only the credentials (user and pass alike) go
    expect(row!.last_answer).toMatch(/^ERROR: Login incorrect, please try again: \|\[REDACTED\]\|\[REDACTED\]\|BAD\|/);
    const stored = JSON.stringify(await t.backend.runner.query('select request, answer from delivery_attempts'));
    const shown = (await admin(t.app, 'GET', `/admin/deliveries/${row!.id}`)).text;
    const listed = (await admin(t.app, 'GET', '/admin/deliveries?state=dead')).text;
    for (const text of [row!.last_answer, stored, shown, listed, t.logLines.join('\n')]) expect(text).not.toContain(stale);
  });
});
