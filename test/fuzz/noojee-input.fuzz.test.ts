/**
 * Noojee inserts under hostile lead content and query strings, with exact expectations taken from
 * SPEC 2 (check order, system fields, request-level codes), not only "no 5xx".
 */
import { UNSTORABLE } from './known-bugs.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../support/test-app.js';
import { ENDPOINTS, expectHealthy, expectSaneAnswer, openHarness, runs, send, type Answer, type FuzzHarness } from './fuzz-kit.js';
import { compoundText, HUGE_NUMBERS, LONE_SURROGATES, objectText, oddChar, rawQueryValue, SYSTEM_FIELDS, systemFieldName } from './generators.js';

let h: FuzzHarness;
beforeAll(async () => {
  h = await openHarness('0413');
});
afterAll(async () => {
  await h.close();
});

const single = ENDPOINTS.find((r) => r.name === 'noojee.insertLeadFast')!;
const postLead = async (body: string, url = single.url): Promise<Answer | 'knownBug'> => {
  const request = { method: 'POST', url, headers: single.headers, body };
  const answer = await send(h.t.app, request);
  return expectSaneAnswer(single, request, answer) === 'knownBug' ? 'knownBug' : answer;
};
const codeOf = (answer: Answer) => (answer.json as { code: number }).code;

describe('system fields of the wrong type (SPEC 2 check order)', () => {
  const blank = (v: unknown) => v === null || String(v).trim() === '';
  /** The code SPEC 2 gives a lead holding a fresh phone and this one system field. */
  function expectedCode(field: (typeof SYSTEM_FIELDS)[number], value: unknown): number[] {
    if (typeof value === 'object' && value !== null) return [204];
    // 1e999 parses to Infinity, which no field can hold: malformed, and 204 comes first in the check order
    if (typeof value === 'number' && !Number.isFinite(value)) return [204];
    switch (field) {
      case 'njAction':
        return blank(value) || String(value).trim().toUpperCase() === 'ADD' ? [0] : [204];
      case 'njDisposition':
      case 'njAllocationName':
        return blank(value) ? [0] : [204];
      case 'njCallBackDate':
        return blank(value) ? [0] : [114];
      case 'njContactHours':
        return blank(value) ? [0] : [111];
      case 'njPriority': {
        if (blank(value)) return [0];
        const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
        return Number.isInteger(n) && n >= 0 && n <= 100 ? [0] : [201];
      }
      case 'njExternalLeadId':
        return [0, 112]; // any scalar is an id; the same id twice in the campaign is 112
    }
  }

  it('answers each system field holding an object, array, boolean, null or an extreme number with its own code', async () => {
    const value = fc.oneof(compoundText, fc.constantFrom('true', 'false', 'null', '""', '"  "', '0', '-1', '"ADD"', '" add "', '"high"', ...HUGE_NUMBERS));
    await fc.assert(
      fc.asyncProperty(systemFieldName, value, async (name, text) => {
        const answer = await postLead(objectText([['phone', JSON.stringify(h.freshPhone())], [name, text]]));
        if (answer === 'knownBug') return;
        const field = SYSTEM_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase())!;
        expect(expectedCode(field, JSON.parse(text)), `${name}: ${text} → ${answer.text}`).toContain(codeOf(answer));
      }),
      runs(40),
    );
  });
});

describe('control characters and lone surrogates', () => {
  // Mostly storable text, with NUL and lone surrogates now and then.
  const char = fc.oneof({ weight: 6, arbitrary: oddChar.filter((c) => c !== '\u0000' && !LONE_SURROGATES.includes(c)) }, { weight: 1, arbitrary: oddChar }, { weight: 3, arbitrary: fc.string({ maxLength: 3 }) });
  const text = fc.array(char, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));
  const key = text.filter((k) => k.length >= 1 && k.length <= 200 && k !== '__proto__' && !k.toLowerCase().startsWith('nj') && k !== 'phone' && k !== 'mobile');
  const value = text.filter((v) => v.trim().toLowerCase() !== '<no change>');

  it('stores a lead whose field names and values hold them exactly as sent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(key, value), { minLength: 1, maxLength: 4, selector: ([k]) => k }), async (entries) => {
        const phone = h.freshPhone();
        const answer = await postLead(objectText([['phone', JSON.stringify(phone)], ...entries.map(([k, v]) => [k, JSON.stringify(v)] as const)]));
        if (answer === 'knownBug') return;
        // PostgreSQL cannot hold U+0000 or lone surrogates: such leads are refused as malformed (204)
        if (entries.some(([k, v]) => UNSTORABLE.test(k) || UNSTORABLE.test(v))) {
          expect(codeOf(answer), answer.text).toBe(204);
          return;
        }
        expect(codeOf(answer), answer.text).toBe(0);
        const rows = await h.t.backend.runner.query<{ fields: Record<string, unknown> }>('select fields from leads where id = $1::bigint', [(answer.json as { leadId: string }).leadId]);
        expect(rows[0]!.fields).toEqual(Object.fromEntries([['phone', phone], ...entries]));
      }),
      runs(30),
    );
  });

  it('answers them in njExternalLeadId, njContactHours and njCallBackDate with the documented codes', async () => {
    const field = fc.constantFrom('njExternalLeadId', 'njContactHours', 'njCallBackDate');
    await fc.assert(
      fc.asyncProperty(field, text, async (name, v) => {
        const answer = await postLead(objectText([['phone', JSON.stringify(h.freshPhone())], [name, JSON.stringify(v)]]));
        if (answer === 'knownBug') return;
        const blank = v.trim() === '';
        const expected = UNSTORABLE.test(v) ? [204] : { njExternalLeadId: [0, 112], njContactHours: blank ? [0] : [111], njCallBackDate: blank ? [0] : [114] }[name];
        expect(expected, answer.text).toContain(codeOf(answer));
      }),
      runs(40),
    );
  });
});

describe('numbers at the edges of a double', () => {
  it('stores finite extreme numbers as the numbers JSON.parse gives, or refuses them with 204', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...HUGE_NUMBERS), { minLength: 1, maxLength: 3 }), async (numbers) => {
        const phone = h.freshPhone();
        const entries = numbers.map((n, i) => [`n${i}`, n] as const);
        const answer = await postLead(objectText([['phone', JSON.stringify(phone)], ...entries]));
        if (answer === 'knownBug') return;
        expect([0, 204]).toContain(codeOf(answer));
        if (codeOf(answer) !== 0) return;
        const rows = await h.t.backend.runner.query<{ fields: Record<string, unknown> }>('select fields from leads where id = $1::bigint', [(answer.json as { leadId: string }).leadId]);
        for (const [name, n] of entries) {
          const sent = JSON.parse(n) as number;
          // 1e999 parses to Infinity, which no JSON store can hold; see the report (stored as null today).
          if (Number.isFinite(sent)) expect(rows[0]!.fields[name], `${name} = ${n}`).toBe(sent === 0 ? 0 : sent);
        }
      }),
      runs(30),
    );
  });
});

describe('odd query strings (SPEC 2: 401 → 116 → 117 → 115, first occurrence of a parameter counts)', () => {
  const DIALER = {
    templates: new Set([1, 2, 3, 4, 5]),
    campaigns: new Map([[10, 1], [11, 1], [20, 2], [30, 3], [31, 3], [40, 4], [50, 5]]),
    allocations: new Map([[100, 10], [101, 10], [110, 11], [200, 20], [201, 20], [300, 30], [310, 31], [400, 40], [500, 50]]),
  };
  const id = (text: string | null) => (text !== null && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);
  function expectedCode(query: URLSearchParams): number {
    if (query.get('apiKey') !== API_KEY) return 401;
    const template = id(query.get('fTemplateId'));
    if (template === undefined || !DIALER.templates.has(template)) return 116;
    const campaign = id(query.get('fCampaignId'));
    if (campaign === undefined || DIALER.campaigns.get(campaign) !== template) return 117;
    const allocation = id(query.get('fAllocationId'));
    if (allocation === undefined || DIALER.allocations.get(allocation) !== campaign) return 115;
    return 0;
  }
  const idValue = fc.oneof(
    fc.constantFrom('1', '2', '3', '4', '5', '10', '11', '20', '30', '31', '40', '50', '100', '101', '110', '200', '300', '310', '400', '500'),
    fc.constantFrom('%201%20', '+1', '0001', '10.0', '-10', '1e1', '0x1', '%00', '1%00', '%zz', '99', '999999999', '9999999999999'),
    rawQueryValue,
  );
  const apiKey = fc.constantFrom(API_KEY, API_KEY, `${API_KEY}%00`, '', 'nope', API_KEY.toUpperCase(), `%20${API_KEY}`, encodeURIComponent(API_KEY));
  const param = <T extends string>(name: T, value: fc.Arbitrary<string>) => fc.array(value, { maxLength: 2 }).map((values) => values.map((v) => `${name}=${v}`));

  it('answers exactly the first failing request-level check, else inserts', async () => {
    await fc.assert(
      fc.asyncProperty(
        param('apiKey', apiKey),
        param('fTemplateId', idValue),
        param('fCampaignId', idValue),
        param('fAllocationId', idValue),
        fc.option(fc.constantFrom('true', 'TRUE', ' true ', 'false', '1', '%00', ''), { nil: undefined }),
        async (keys, templates, campaigns, allocations, allowDuplicates) => {
          const parts = [...keys, ...templates, ...campaigns, ...allocations];
          if (allowDuplicates !== undefined) parts.push(`allowDuplicates=${allowDuplicates}`);
          const query = parts.join('&');
          // An international number is valid under every template, whatever its country.
          const answer = await postLead(JSON.stringify({ phone: `+61${h.freshPhone().slice(1)}` }), `${single.path}?${query}`);
          if (answer === 'knownBug') return;
          expect(codeOf(answer), `?${query.slice(0, 300)} → ${answer.text.slice(0, 300)}`).toBe(expectedCode(new URLSearchParams(query)));
        },
      ),
      runs(60),
    );
  });
});

it('is still healthy, ready and unpolluted after the run', async () => {
  await expectHealthy(h);
});
