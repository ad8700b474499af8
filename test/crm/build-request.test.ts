import { describe, expect, it } from 'vitest';
import { buildCrmRequest, redactRequest, UnsafeUrlValueError } from '../../src/crm/build-request.js';
import { connectFrom } from './connect-fixture.js';

const JSON_HEADERS = { 'User-Agent': 'leadgate', Accept: 'application/json', 'Content-Type': 'application/json' };

describe('buildCrmRequest', () => {
  it('maps a JSON body with dot paths, comma fan-out, defaults and a date format', () => {
    const connect = connectFrom({
      url: 'https://crm.example.com/api/leads/lookup',
      adaptor: [
        { field: 'phone', mappedTo: 'phone,phone_number' },
        { field: 'email', mappedTo: 'contact.email', default: '' },
        { field: 'firstName', mappedTo: 'contact.name.first' },
        { field: 'dob', mappedTo: 'dob', dateFormat: 'yyyy-MM-dd' },
        { field: 'age', mappedTo: 'age' },
        { field: 'vip', mappedTo: 'flags.vip' },
        { field: 'source', mappedTo: 'source' },
        { field: 'campaign', mappedTo: 'campaign', default: 'web' },
      ],
    });
    const request = buildCrmRequest(connect, {
      phone: '+61383208134',
      firstName: 'Ann',
      dob: '04/07/1980',
      age: 44,
      vip: true,
      campaign: null,
    });
    expect(request).toEqual({
      method: 'POST',
      url: 'https://crm.example.com/api/leads/lookup',
      headers: JSON_HEADERS,
      body: '{"phone":"+61383208134","phone_number":"+61383208134","contact":{"email":"","name":{"first":"Ann"}},"dob":"1980-07-04","age":44,"flags":{"vip":true},"campaign":"web"}',
    });
  });

  it('sends a value that is not a readable date as written', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/', adaptor: [{ field: 'dob', mappedTo: 'dob', dateFormat: 'dd/MM/yyyy' }] });
    expect(buildCrmRequest(connect, { dob: 'July 4th' }).body).toBe('{"dob":"July 4th"}');
  });

  it('sends an empty JSON object when nothing maps', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/', adaptor: [{ field: 'email', mappedTo: 'email' }] });
    expect(buildCrmRequest(connect, {}).body).toBe('{}');
  });

  it('maps a urlencoded form body, names taken literally', () => {
    const connect = connectFrom({
      url: 'https://crm.example.com/lookup',
      body: 'form',
      response: 'text',
      adaptor: [
        { field: 'phone', mappedTo: 'phone_number,phone' },
        { field: 'name', mappedTo: 'first name' },
        { field: 'email', mappedTo: 'contact.email' },
        { field: 'list', mappedTo: 'list_id', default: 100 },
      ],
    });
    expect(buildCrmRequest(connect, { phone: '+61383208134', name: 'Ann Lee', email: 'a@b.com&x=1' })).toEqual({
      method: 'POST',
      url: 'https://crm.example.com/lookup',
      headers: { 'User-Agent': 'leadgate', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'phone_number=%2B61383208134&phone=%2B61383208134&first+name=Ann+Lee&contact.email=a%40b.com%26x%3D1&list_id=100',
    });
  });

  it.each([
    ['https://crm.example.com/search?src=web', 'https://crm.example.com/search?src=web&phone_number=%2B61383208134&list_id=100'],
    ['https://crm.example.com/search', 'https://crm.example.com/search?phone_number=%2B61383208134&list_id=100'],
    ['https://crm.example.com/search?', 'https://crm.example.com/search?phone_number=%2B61383208134&list_id=100'],
  ])('GET %s puts the mapped fields in the query string', (url, expected) => {
    const connect = connectFrom({
      url,
      method: 'GET',
      headers: { Accept: 'application/vnd.crm+json' },
      adaptor: [
        { field: 'phone', mappedTo: 'phone_number' },
        { field: 'list', mappedTo: 'list_id' },
      ],
    });
    expect(buildCrmRequest(connect, { phone: '+61383208134', list: 100 })).toEqual({
      method: 'GET',
      url: expected,
      headers: { Accept: 'application/vnd.crm+json', 'User-Agent': 'leadgate' },
    });
  });

  it('URL-encodes slot values so they cannot change the path, query or fragment', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/leads/{phone}?src={source}&v=1' });
    const request = buildCrmRequest(connect, { phone: '+61 3/../../admin?x=1#y', source: 'a&b=c#d' });
    expect(request.url).toBe('https://crm.example.com/leads/%2B61%203%2F..%2F..%2Fadmin%3Fx%3D1%23y?src=a%26b%3Dc%23d&v=1');
    const parsed = new URL(request.url);
    expect([parsed.host, parsed.pathname, parsed.searchParams.get('src'), parsed.searchParams.get('v'), parsed.hash]).toEqual([
      'crm.example.com',
      '/leads/%2B61%203%2F..%2F..%2Fadmin%3Fx%3D1%23y',
      'a&b=c#d',
      '1',
      '',
    ]);
  });

  it('fills a missing slot field with nothing', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/leads/{id}/notes' });
    expect(buildCrmRequest(connect, {}).url).toBe('https://crm.example.com/leads//notes');
  });

  it.each(['..', '.'])('refuses a path slot value %j that would be a dot segment', (value) => {
    const connect = connectFrom({ url: 'https://crm.example.com/leads/{id}/notes' });
    expect(() => buildCrmRequest(connect, { id: value })).toThrow(new UnsafeUrlValueError('id'));
  });

  it('lets a dot value through a query slot and inside a path segment', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/leads/v{id}?q={id}' });
    expect(buildCrmRequest(connect, { id: '..' }).url).toBe('https://crm.example.com/leads/v..?q=..');
  });
});

describe('redactRequest', () => {
  const env = { ACME_TOKEN: 'tok-9f8e7d', URL_TOKEN: 'a b/c+d', TRACE_SECRET: 'trace-s3cret' };
  const connect = connectFrom(
    {
      url: 'https://crm.example.com/leads?api_token=${env:ACME_TOKEN}&page=${env:URL_TOKEN}&key=zzz&n=1',
      headers: {
        Authorization: 'Bearer ${env:ACME_TOKEN}',
        'X-Api-Key': 'literal-key',
        Cookie: 'sid=abc',
        'X-Trace': 'id-${env:TRACE_SECRET}',
      },
      adaptor: [{ field: 'note', mappedTo: 'note' }],
    },
    env,
    // a literal credential header loads only in a demo file; redaction must still hide it
    true,
  );

  it('replaces every secret and every credential header, leaving the request itself intact', () => {
    const request = buildCrmRequest(connect, { note: 'my token is tok-9f8e7d' });
    expect(redactRequest(connect, request)).toEqual({
      method: 'POST',
      url: 'https://crm.example.com/leads?api_token=[REDACTED]&page=[REDACTED]&key=[REDACTED]&n=1',
      headers: {
        Authorization: '[REDACTED]',
        'X-Api-Key': '[REDACTED]',
        Cookie: '[REDACTED]',
        'X-Trace': 'id-[REDACTED]',
        ...JSON_HEADERS,
      },
      body: '{"note":"my token is [REDACTED]"}',
    });
    expect(request.headers.Authorization).toBe('Bearer tok-9f8e7d');
    expect(request.url).toBe('https://crm.example.com/leads?api_token=tok-9f8e7d&page=a%20b/c+d&key=zzz&n=1');
  });
});
