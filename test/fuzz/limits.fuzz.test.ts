/**
 * Big and broken bodies through every body endpoint: deep nesting, megabyte strings, many fields,
 * the body-size limit (declared, undeclared and streamed), invalid UTF-8, huge batches and URLs.
 * Bodies are built inside the properties from small descriptions, so a counterexample stays short.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_ENDPOINTS, BODY_ROUTES, ENDPOINTS, expectHealthy, expectSaneAnswer, MAX_BODY_BYTES, openHarness, runs, send, type Answer, type EndpointRow, type FuzzHarness } from './fuzz-kit.js';

let h: FuzzHarness;
beforeAll(async () => {
  h = await openHarness('0423');
});
afterAll(async () => {
  await h.close();
});

const utf8 = new TextEncoder();
/** Every lead the answer reports has `code` (rows without per-lead codes are not checked). */
const expectEveryLead = (row: EndpointRow, answer: Answer, code: number) => {
  for (const actual of row.leadCodes?.(answer) ?? []) expect(actual, answer.text.slice(0, 300)).toBe(code);
};

const deepValue = (shape: 'array' | 'object' | 'mixed', depth: number): string => {
  const brackets: Record<typeof shape, readonly [string, string]> = { array: ['[', ']'], object: ['{"a":', '}'], mixed: ['[{"a":', '}]'] };
  const [open, close] = brackets[shape];
  return `${open.repeat(depth)}${shape === 'array' ? '' : '1'}${close.repeat(depth)}`;
};

describe.each(BODY_ENDPOINTS)('$name: deep nesting', (row) => {
  const post = (body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = row.headers) => ({ method: 'POST', url: row.url, headers, body });

  it('answers JSON nested 1,000 to 100,000 levels deep (the whole body, a field, a batch element, a table key)', async () => {
    const deep = fc.record({
      shape: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
      depth: fc.oneof(fc.integer({ min: 1_000, max: 10_000 }), fc.integer({ min: 10_000, max: 100_000 })),
      where: fc.constantFrom('body' as const, 'field' as const, 'element' as const, 'tableKey' as const),
    });
    await fc.assert(
      fc.asyncProperty(deep, async ({ shape, depth, where }) => {
        const value = deepValue(shape, depth);
        const inner = {
          field: `{"phone":"${h.freshPhone()}","x":${value}}`,
          element: value,
          // where the duplicate-check table looks, when the value is a CRM answer
          tableKey: `{"phone":"${h.freshPhone()}","customer":{"status":${value}}}`,
        };
        const body = where === 'body' ? value : row.wrap(inner[where]);
        const request = post(body);
        const answer = await send(h.t.app, request);
        if (expectSaneAnswer(row, request, answer) === 'knownBug') return;
        // No lead holds a nested value: every lead is 204 MALFORMED (or the body is refused whole).
        expectEveryLead(row, answer, 204);
      }),
      runs(6),
    );
  });
});

describe.each(BODY_ROUTES)('$name: size and encoding', (row) => {
  const post = (body: string | Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = row.headers) => ({ method: 'POST', url: row.url, headers, body });

  it('answers megabyte field values and 100,000-character field names; refused as too large exactly when the body passes the limit', async () => {
    const long = fc.record({
      where: fc.constantFrom('value' as const, 'name' as const),
      char: fc.constantFrom('a', 'é', '😀', '\\n'),
      count: fc.oneof(fc.integer({ min: 100_000, max: 200_000 }), fc.integer({ min: 260_000, max: 1_100_000 })),
    });
    await fc.assert(
      fc.asyncProperty(long, async ({ where, char, count }) => {
        const text = char.repeat(where === 'name' ? Math.min(count, 100_000) : count);
        const lead = where === 'value' ? `{"phone":"${h.freshPhone()}","x":"${text}"}` : `{"phone":"${h.freshPhone()}","${text}":"x"}`;
        const body = row.wrap(lead);
        const request = post(body);
        const answer = await send(h.t.app, request);
        if (expectSaneAnswer(row, request, answer) === 'knownBug') return;
        const bytes = utf8.encode(body).byteLength;
        const tooLarge = bytes > MAX_BODY_BYTES;
        if (tooLarge) row.tooLarge?.(answer);
        else expect(answer.status, `${bytes} bytes`).not.toBe(413);
        expectEveryLead(row, answer, tooLarge ? 203 : 204);
      }),
      runs(4),
    );
  });

  it('answers leads with thousands of fields in reasonable time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1_000, max: 50_000 }), fc.constantFrom('f', 'njX', 'k'.repeat(12)), async (count, prefix) => {
        const fields = Array.from({ length: count }, (_, i) => `"${prefix}${i}":${i % 2 ? '"x"' : i}`).join(',');
        const body = row.wrap(`{"phone":"${h.freshPhone()}",${fields}}`);
        const request = post(body);
        const answer = await send(h.t.app, request);
        if (expectSaneAnswer(row, request, answer) === 'knownBug') return;
        expect(answer.ms, 'answer time').toBeLessThan(5_000);
        const tooLarge = utf8.encode(body).byteLength > MAX_BODY_BYTES;
        if (tooLarge) row.tooLarge?.(answer);
        expectEveryLead(row, answer, tooLarge ? 203 : 204);
      }),
      runs(3),
    );
  });

  it('refuses a body over the limit as too large (Noojee 203/413), declared or not, string or stream, and stops reading a stream early', async () => {
    const sized = fc.record({
      size: fc.oneof(fc.integer({ min: MAX_BODY_BYTES - 16, max: MAX_BODY_BYTES + 16 }), fc.integer({ min: MAX_BODY_BYTES + 17, max: 4 * MAX_BODY_BYTES })),
      mode: fc.constantFrom('string' as const, 'declared' as const, 'stream' as const),
      chunk: fc.constantFrom(1_024, 16_384, 65_536),
    });
    await fc.assert(
      fc.asyncProperty(sized, async ({ size, mode, chunk }) => {
        // A JSON string of exactly `size` bytes: not a lead, so an accepted one is 204 / 400.
        const bytes = new Uint8Array(size).fill(0x61);
        bytes[0] = 0x22;
        bytes[size - 1] = 0x22;
        let pulled = 0;
        const stream = () =>
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (pulled >= size) return controller.close();
              const piece = bytes.subarray(pulled, Math.min(size, pulled + chunk));
              pulled += piece.byteLength;
              controller.enqueue(piece);
            },
          });
        const headers = mode === 'declared' ? { ...row.headers, 'content-length': String(size) } : row.headers;
        const request = post(mode === 'stream' ? stream() : bytes, headers);
        const answer = await send(h.t.app, request);
        expect(expectSaneAnswer(row, request, answer)).toBe('ok');
        if (size > MAX_BODY_BYTES) row.tooLarge?.(answer);
        else row.malformed?.(answer);
        if (mode === 'stream' && size > MAX_BODY_BYTES + 4 * chunk) expect(pulled, 'bytes read of an oversized stream').toBeLessThan(size);
      }),
      runs(6),
    );
  });

  it('refuses bodies that are not UTF-8 as malformed', async () => {
    const INVALID = [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xf8, 0x88, 0x80, 0x80, 0x80]];
    const broken = fc.record({
      bad: fc.oneof(fc.constantFrom(...INVALID), fc.uint8Array({ minLength: 1, maxLength: 8 }).map((a) => [0xff, ...a])),
      where: fc.constantFrom('value' as const, 'name' as const, 'outside' as const, 'start' as const),
    });
    await fc.assert(
      fc.asyncProperty(broken, async ({ bad, where }) => {
        const marker = '\u0001MARK\u0001';
        const lead = where === 'value' ? `{"phone":"${h.freshPhone()}","x":"${marker}"}` : where === 'name' ? `{"phone":"${h.freshPhone()}","${marker}":"x"}` : `{"phone":"${h.freshPhone()}"}${marker}`;
        const text = where === 'start' ? `${marker}${row.wrap(lead)}` : row.wrap(lead);
        const [before, after] = text.split(marker) as [string, string];
        const body = new Uint8Array([...utf8.encode(before), ...bad, ...utf8.encode(after)]);
        const request = post(body);
        const answer = await send(h.t.app, request);
        expect(expectSaneAnswer(row, request, answer)).toBe('ok');
        row.malformed?.(answer);
      }),
      runs(10),
    );
  });
});

describe('noojee.insertLeadsFast: batch size', () => {
  const batch = ENDPOINTS.find((r) => r.name === 'noojee.insertLeadsFast')!;
  it('answers a batch over LEADGATE_MAX_BATCH (100 here) with 203, and one result per lead otherwise', async () => {
    const lead = fc.constantFrom('{}', 'null', '[]', '1', '{"phone":"x"}', '{"njPriority":{}}', '{"__proto__":{"polluted":1}}');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 101, max: 20_000 })), lead, async (count, each) => {
        const request = { method: 'POST', url: batch.url, headers: batch.headers, body: `[${Array.from({ length: count }, () => each).join(',')}]` };
        const answer = await send(h.t.app, request);
        expect(expectSaneAnswer(batch, request, answer)).toBe('ok');
        if (count > 100) expect(answer.json).toMatchObject({ code: 203, message: 'PAYLOAD_TOO_LARGE' });
        else expect((answer.json as { results: unknown[] }).results).toHaveLength(count);
      }),
      runs(10),
    );
  });
});

describe.each(ENDPOINTS)('$name: very long URLs', (row) => {
  it('answers query strings of 10,000 to 200,000 characters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom('apiKey', 'fTemplateId', 'x', 'fAllocationId'), async (length, name) => {
        const url = `${row.url}${row.url.includes('?') ? '&' : '?'}${name}=${'9'.repeat(length)}`;
        const request = { method: row.method, url, headers: row.headers, body: row.valid?.body(h.freshPhone()) ?? row.wrap?.('{}') };
        expectSaneAnswer(row, request, await send(h.t.app, request));
      }),
      runs(3),
    );
  });
});

it('is still healthy, ready and unpolluted after the run', async () => {
  await expectHealthy(h);
});
