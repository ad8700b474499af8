import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVicidial, VICIDIAL_PATH, type FakeVicidial, type VicidialOptions } from '../support/fake-dialers/vicidial.js';

/**
 * The fake VICIdial answers as docs/NON-AGENT_API.txt shows: every expected text below is copied
 * from the document's "Example responses", with the example's values replaced by this test's.
 */

let vici: FakeVicidial;
afterEach(async () => vici?.close());

async function start(options: VicidialOptions = {}): Promise<FakeVicidial> {
  vici = await startFakeVicidial({ lists: { '101': 'CAMPA', '102': 'CAMPA', '201': 'CAMPB' }, ...options });
  return vici;
}

type Params = Record<string, string>;

async function api(params: Params, method: 'GET' | 'POST' = 'GET'): Promise<string> {
  const all = new URLSearchParams({ source: 'leadgate', user: vici.user, pass: vici.pass, ...params });
  const response =
    method === 'GET'
      ? await fetch(`${vici.url}${VICIDIAL_PATH}?${all}`)
      : await fetch(`${vici.url}${VICIDIAL_PATH}`, { method: 'POST', body: all });
  expect(response.status).toBe(200);
  return response.text();
}

const addLead = (params: Params) => api({ function: 'add_lead', list_id: '101', ...params });

describe('fake VICIdial: add_lead', () => {
  it('adds the lead and answers SUCCESS with phone|user|list|lead_id|gmt', async () => {
    await start();
    expect(await addLead({ phone_number: '7275551111', vendor_lead_code: 'lg-42', first_name: 'Bob' })).toBe(
      'SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|6666|101|100001|-5\n',
    );
    expect(vici.leads).toMatchObject([{ lead_id: '100001', list_id: '101', phone_number: '7275551111', vendor_lead_code: 'lg-42', first_name: 'Bob', status: 'NEW' }]);
  });

  it('adds the same phone again unless a duplicate_check says otherwise; DUPLIST answers the duplicate error', async () => {
    await start();
    await addLead({ phone_number: '7275551111', duplicate_check: 'DUPLIST' });
    expect(await addLead({ phone_number: '7275551111' })).toMatch(/^SUCCESS: add_lead LEAD HAS BEEN ADDED - /);
    expect(await addLead({ phone_number: '7275551111', duplicate_check: 'DUPLIST' })).toBe(
      'ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551111|101|100001\n',
    );
    expect(await addLead({ phone_number: '7275551111', duplicate_check: 'DUPLIST', list_id: '201' })).toMatch(/^SUCCESS/);
    expect(vici.leads).toHaveLength(3);
  });

  it.each([
    ['DUPCAMP', { list_id: '102' }, 'ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - 7275551111|102|100001|101\n'],
    ['DUPSYS', { list_id: '201' }, 'ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - 7275551111|201|100001|101\n'],
    ['DUPPHONEALTLIST', { phone_number: '7275559999' }, 'ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275559999|101|100001|ALT\n'],
    ['DUPNAMEPHONELIST', { first_name: 'Bob', last_name: 'Smith' }, 'ERROR: add_lead DUPLICATE NAME PHONE IN LIST - Bob|Smith|7275551111|101|100001|101\n'],
    ['DUPSYS90DAY-DUPLIST', { list_id: '201' }, 'ERROR: add_lead DUPLICATE PHONE NUMBER IN SYSTEM - 7275551111|201|100001|101\n'],
  ])('duplicate_check=%s answers the document’s text', async (check, params, text) => {
    await start();
    await addLead({ phone_number: '7275551111', alt_phone: '7275559999', first_name: 'Bob', last_name: 'Smith' });
    expect(await addLead({ phone_number: '7275551111', duplicate_check: check, ...params })).toBe(text);
    expect(vici.leads).toHaveLength(1);
  });

  it('refuses a user without permission, a bad login, a DNC phone, a bad length and a missing function', async () => {
    await start();
    await api({ function: 'add_dnc_phone', phone_number: '7275550000', campaign_id: 'SYSTEM_INTERNAL' });
    expect(await addLead({ phone_number: '7275550000', dnc_check: 'Y' })).toBe('ERROR: add_lead PHONE NUMBER IN DNC - 7275550000|6666\n');
    expect(await addLead({ phone_number: '72755' })).toBe('ERROR: add_lead INVALID PHONE NUMBER LENGTH - 72755|6666\n');
    expect(await addLead({ phone_number: '7275551111', pass: 'bad' })).toBe('ERROR: Login incorrect, please try again: |6666|bad|BAD|\n');
    expect(await api({ function: '' })).toBe('ERROR: NO FUNCTION SPECIFIED\n');
    await vici.set({ noPermission: true });
    expect(await addLead({ phone_number: '7275551111' })).toBe(
      'ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM - 6666|0\n',
    );
    expect(vici.leads).toHaveLength(0);
  });

  it("style 'implementation' answers what the PHP prints: SUCCESS data phone|list|lead_id|gmt|user", async () => {
    await start({ style: 'implementation' });
    expect(await addLead({ phone_number: '7275551111' })).toBe('SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|101|100001|-5|6666\n');
  });
});

describe('fake VICIdial: update_lead and add_dnc_phone', () => {
  it('finds the lead by lead_id (the default) or by vendor_lead_code with search_method, and answers per lead', async () => {
    await start();
    await addLead({ phone_number: '7275551111', vendor_lead_code: 'lg-42' });
    const update = (params: Params) => api({ function: 'update_lead', ...params });
    expect(await update({ lead_id: '100001', status: 'SALE' })).toBe('SUCCESS: update_lead LEAD HAS BEEN UPDATED - 6666|100001\n');
    expect(await update({ vendor_lead_code: 'lg-42', last_name: 'X' })).toBe('ERROR: update_lead NO VALID SEARCH METHOD - 6666|LEAD_ID||lg-42|\n');
    expect(await update({ search_method: 'VENDOR_LEAD_CODE', vendor_lead_code: 'lg-42', city: 'Chicago+Heights', email: '--BLANK--' })).toBe(
      'SUCCESS: update_lead LEAD HAS BEEN UPDATED - 6666|100001\n',
    );
    expect(await update({ search_method: 'VENDOR_LEAD_CODE', vendor_lead_code: 'lg-43', city: 'x' })).toBe(
      'ERROR: update_lead NO MATCHES FOUND IN THE SYSTEM - 6666||lg-43|\n',
    );
    expect(vici.leads[0]).toMatchObject({ status: 'SALE', city: 'Chicago Heights', email: '', vendor_lead_code: 'lg-42' });
  });

  it('stores at most 20 characters of vendor_lead_code, so the long code no longer finds the lead', async () => {
    await start();
    await addLead({ phone_number: '7275551111', vendor_lead_code: 'lg-0123456789abcdefghij' });
    expect(vici.leads[0]?.vendor_lead_code).toBe('lg-0123456789abcdefg');
    expect(await api({ function: 'update_lead', search_method: 'VENDOR_LEAD_CODE', vendor_lead_code: 'lg-0123456789abcdefghij', no_update: 'Y' })).toBe(
      'NOTICE: update_lead NO MATCHES FOUND IN THE SYSTEM - 6666||lg-0123456789abcdefghij|\n',
    );
  });

  it('add_dnc_phone adds once, then answers that it exists; permission as documented', async () => {
    await start();
    const add = (params: Params) => api({ function: 'add_dnc_phone', phone_number: '7275551212', campaign_id: 'CAMPA', ...params }, 'POST');
    expect(await add({})).toBe('SUCCESS: add_dnc_phone DNC NUMBER HAS BEEN ADDED - 6666|7275551212|CAMPA\n');
    expect(await add({})).toBe('ERROR: add_dnc_phone DNC NUMBER ALREADY EXISTS - 6666|7275551212\n');
    expect(vici.dnc).toEqual([{ phone_number: '7275551212', campaign_id: 'CAMPA' }]);
    await vici.set({ noPermission: true });
    expect(await add({})).toBe('ERROR: add_dnc_phone USER DOES NOT HAVE PERMISSION TO ADD DNC NUMBERS - 6666|0\n');
  });
});

describe('fake VICIdial: knobs', () => {
  it('cutAfterInsert stores the lead and drops the connection; the DUPLIST re-send answers the duplicate', async () => {
    await start({ cutAfterInsert: 1 });
    const lead = { phone_number: '7275551111', vendor_lead_code: 'lg-7', duplicate_check: 'DUPLIST' };
    await expect(addLead(lead)).rejects.toThrow();
    expect(vici.leads).toHaveLength(1);
    expect(await addLead(lead)).toBe('ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 7275551111|101|100001\n');
  });

  it("down 'refuse' and '503'; answerOverride for its times; query values win over POST values", async () => {
    await start({ down: 'refuse' });
    const refused = await addLead({ phone_number: '7275551111' }).catch((error: unknown) => error);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    await vici.set({ down: '503' });
    expect((await fetch(`${vici.url}${VICIDIAL_PATH}`)).status).toBe(503);
    await vici.set({ down: false, answerOverride: { answer: { text: 'ERROR: something new\n' }, times: 1 } });
    expect(await addLead({ phone_number: '7275551111' })).toBe('ERROR: something new\n');
    const mixed = await fetch(`${vici.url}${VICIDIAL_PATH}?list_id=102`, {
      method: 'POST',
      body: new URLSearchParams({ source: 'lg', user: '6666', pass: '1234', function: 'add_lead', phone_number: '7275551111', list_id: '201' }),
    });
    expect(await mixed.text()).toBe('SUCCESS: add_lead LEAD HAS BEEN ADDED - 7275551111|6666|102|100001|-5\n');
  });
});
