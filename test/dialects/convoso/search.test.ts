import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/test-app.js';
import { convoso } from './convoso-client.js';

// a database of its own: every filter alone must find exactly the leads of this file
let t: TestApp;
const ids: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
const LEADS = {
  a: {
    list_id: '100', status: 'NEW', phone_number: '412700001', owner_id: '7', user_id: 'u1', created_by: 'api', last_modified_by: 'api',
    first_name: 'Augusta', last_name: 'King', email: 'ada@example.com', alt_phone_1: '412700011', alt_phone_2: '412700021', address1: '1 Main St', address2: 'Unit 2',
    city: 'Melbourne', state: 'NJ', province: 'VIC', postal_code: '3000', country: 'AU', gender: 'F', date_of_birth: '1815-12-10',
  },
  b: {
    list_id: '101', status: 'CALLBACK', phone_number: '412700002', owner_id: '8', user_id: 'u2', created_by: 'web', last_modified_by: 'agent',
    first_name: 'Grace', last_name: 'Hopper', email: 'grace@example.com', alt_phone_1: '412700012', alt_phone_2: '412700022', address1: '2 High St', address2: 'Level 3',
    city: 'Perth', state: 'NY', province: 'WA', postal_code: '6000', country: 'US', gender: 'F', date_of_birth: '1906-12-09',
  },
  c: {
    list_id: '110', status: 'NEW', phone_number: '412700003', owner_id: '7', user_id: 'u3', created_by: 'api', last_modified_by: 'agent',
    first_name: 'Alan', last_name: 'Turing', email: 'alan@example.com', alt_phone_1: '412700013', alt_phone_2: '412700023', address1: '3 Low St', address2: 'Rear',
    city: 'Sydney', state: 'NSW', province: 'NSW', postal_code: '2000', country: 'UK', gender: 'M', date_of_birth: '1912-06-23',
  },
};

beforeAll(async () => {
  t = await createTestApp();
  for (const key of ['a', 'b', 'c'] as const) {
    const res = await convoso(t.app, 'leads/insert', { ...LEADS[key], phone_code: '61' });
    ids[key] = (res.body.data as { lead_id: string }).lead_id;
  }
  // fixed times, so the date filters have something exact to find
  const times = { a: ['2026-01-01 08:00:00', '2026-02-01 08:00:00'], b: ['2026-01-02 08:00:00', '2026-03-01 08:00:00'], c: ['2026-01-03 23:59:59', '2026-01-03 23:59:59'] };
  for (const key of ['a', 'b', 'c'] as const) {
    await t.backend.runner.query('update leads set created_at = $2::timestamptz, updated_at = $3::timestamptz where id = $1::bigint', [ids[key], `${times[key][0]}Z`, `${times[key][1]}Z`]);
  }
});
afterAll(async () => {
  await t.close();
});

const search = (params: Record<string, string>) => convoso(t.app, 'leads/search', params);
const found = async (params: Record<string, string>) => {
  const res = await search(params);
  expect(res.body.success, JSON.stringify(res.body)).toBe(true);
  return (res.body.data as { entries: Array<{ id: string }> }).entries.map((e) => e.id);
};

describe('/v1/leads/search filters', () => {
  const alone: Array<[name: string, value: string, expected: Array<'a' | 'b' | 'c'>]> = [
    ['lead_id', '<b>', ['b']],
    ['list_id', '100', ['a']],
    ['status', 'NEW', ['a', 'c']],
    ['phone_number', '412700002', ['b']],
    ['alt_phone_1', '412700013', ['c']],
    ['alt_phone_2', '412700021', ['a']],
    ['owner_id', '7', ['a', 'c']],
    ['user_id', 'u2', ['b']],
    ['created_by', 'api', ['a', 'c']],
    ['last_modified_by', 'agent', ['b', 'c']],
    ['first_name', 'augusta', ['a']],
    ['last_name', 'Hopper', ['b']],
    ['email', 'ALAN@example.com', ['c']],
    ['address1', '2 High St', ['b']],
    ['address2', 'Unit 2', ['a']],
    ['city', 'Sydney', ['c']],
    ['state', 'NJ', ['a']],
    ['province', 'WA', ['b']],
    ['postal_code', '3000', ['a']],
    ['country', 'UK', ['c']],
    ['gender', 'F', ['a', 'b']],
    ['date_of_birth', '1906-12-09', ['b']],
    ['created_at_start_date', '2026-01-02', ['b', 'c']],
    ['created_at_end_date', '2026-01-02', ['a', 'b']],
    ['created_at_end_date', '2026-01-03 23:59:58', ['a', 'b']],
    ['created_at_end_date', '2026-01-03 23:59:59', ['a', 'b', 'c']],
    ['updated_at_start_date', '2026-02-01 08:00:00', ['a', 'b']],
    ['updated_at_end_date', '2026-02-28', ['a', 'c']],
    ['created_at_start', '2026-01-03', ['c']],
  ];
  it.each(alone)('%s=%s alone', async (name, value, expected) => {
    const given = value.replace(/<(\w)>/, (_m, k: 'a' | 'b' | 'c') => ids[k]);
    expect(await found({ [name]: given, ...(name.includes('phone') ? { phone_code: '61' } : {}) })).toEqual(expected.map((k) => ids[k]));
  });

  it.each([
    [{ status: 'NEW', owner_id: '7', city: 'Melbourne' }, ['a']],
    [{ gender: 'F', created_at_start_date: '2026-01-02' }, ['b']],
    [{ first_name: 'Augusta', status: 'CALLBACK' }, []],
    [{ list_id: '110', last_modified_by: 'agent', updated_at_end_date: '2026-01-03' }, ['c']],
    [{ phone_number: '0412 700 001', phone_code: '61', state: 'NJ', lead_id: '<a>' }, ['a']],
  ] as Array<[Record<string, string>, Array<'a' | 'b' | 'c'>]>)('%j together: every filter must hold', async (filters, expected) => {
    const given = Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, v.replace(/<(\w)>/, (_m, key: 'a' | 'b' | 'c') => ids[key])]));
    expect(await found(given)).toEqual(expected.map((k) => ids[k]));
  });

  it("answers a lead's entry with its own fields, leadgate's bookkeeping beside them, ids and figures as strings", async () => {
    expect((await search({ lead_id: ids.a })).body).toEqual({
      success: true,
      data: {
        offset: '0',
        limit: '10',
        total: '1',
        entries: [
          {
            ...Object.fromEntries(Object.entries(LEADS.a).filter(([k]) => !['list_id', 'status', 'phone_number'].includes(k))),
            alt_phone_1: '+61412700011',
            alt_phone_2: '+61412700021',
            phone: '+61412700001',
            id: ids.a,
            list_id: '100',
            campaign_id: '10',
            status: 'NEW',
            phone_number: '412700001',
            phone_code: '61',
            lead_state: 'active',
            created_at: '2026-01-01T08:00:00.000Z',
            modified_at: '2026-02-01T08:00:00.000Z',
          },
        ],
      },
    });
  });

  it('finds nothing for a lead id that is no id, and refuses a list that does not exist and a date that is none', async () => {
    expect(await found({ lead_id: 'abc' })).toEqual([]);
    expect((await search({ list_id: '999' })).body).toEqual({ success: false, code: 6002, text: 'No such List' });
    expect((await search({ created_at_start_date: '2026-02-30' })).body).toEqual({
      success: false,
      code: 6031,
      text: 'Invalid date format',
      reason: "created_at_start_date must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got '2026-02-30'",
    });
  });
});

describe('/v1/leads/search paging and order', () => {
  beforeAll(async () => {
    for (let i = 0; i < 12; i += 1) await convoso(t.app, 'leads/insert', { list_id: '101', phone_number: `4127001${String(i).padStart(2, '0')}`, phone_code: '61', last_name: 'Order' });
  });

  it('answers in ascending numeric id order past ten leads', async () => {
    const order = await found({ last_name: 'Order', limit: '2000' });
    expect(order).toHaveLength(12);
    expect(order.map(Number)).toEqual([...order.map(Number)].sort((x, y) => x - y));
    expect(Number(order.at(-1))).toBeGreaterThan(10);
  });

  it('pages with offset and limit; the default limit is 10', async () => {
    const all = await found({ last_name: 'Order', limit: '2000' });
    expect(await found({ last_name: 'Order' })).toEqual(all.slice(0, 10));
    expect(await found({ last_name: 'Order', offset: '10', limit: '10' })).toEqual(all.slice(10));
    expect(await found({ last_name: 'Order', offset: '11', limit: '1' })).toEqual(all.slice(11));
    expect((await search({ last_name: 'Order', offset: '12', limit: '1' })).body).toEqual({ success: true, data: { offset: '12', limit: '1', total: '12', entries: [] } });
  });

  it.each([
    [{ limit: '2000' }, null],
    [{ limit: '1' }, null],
    [{ limit: '2001' }, 7258],
    [{ limit: '0' }, 7258],
    [{ limit: '-1' }, 7258],
    [{ limit: '1.5' }, 7258],
    [{ limit: 'ten' }, 7258],
    [{ offset: '-1' }, 7231],
    [{ offset: 'x' }, 7231],
    [{ offset: '1e3' }, 7231],
  ])('%j → %s', async (params, code) => {
    const res = await search(params);
    if (code === null) expect(res.body.success).toBe(true);
    else expect(res.body).toMatchObject({ success: false, code, text: code === 7258 ? 'Invalid limit value' : 'Invalid offset value' });
  });
});
