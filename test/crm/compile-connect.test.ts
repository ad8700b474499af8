import { describe, expect, it } from 'vitest';
import { compileConnect } from '../../src/crm/compile-connect.js';
import { CONNECT_FILE, connectFrom, loadErrors } from './connect-fixture.js';

const FILE = CONNECT_FILE;

describe('compileConnect', () => {
  it('applies the documented defaults', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/api/leads/lookup' });
    expect(connect).toEqual({
      name: 'acme-crm',
      file: FILE,
      method: 'POST',
      origin: 'https://crm.example.com',
      url: [{ literal: '/api/leads/lookup', slot: 'path' }],
      headers: {},
      body: 'json',
      response: 'json',
      timeoutMs: 3000,
      retries: 1,
      maxResponseBytes: 262144,
      maxConcurrency: 16,
      allowPrivateNetwork: false,
      adaptor: [],
      circuit: { failureThreshold: 5, openMs: 30000 },
      deadlineMs: 6100,
      secrets: [],
    });
  });

  it.each([
    [3000, 1, 6100],
    [3000, 0, 3000],
    [100, 5, 600 + 100 + 200 + 400 + 800 + 1600],
    [200, 2, 600 + 300],
  ])('deadline for timeoutMs %i and retries %i is %i ms', (timeoutMs, retries, deadline) => {
    expect(connectFrom({ url: 'https://crm.example.com/', timeoutMs, retries }).deadlineMs).toBe(deadline);
  });

  it('resolves ${env:NAME} in the URL and headers and remembers the values as secrets', () => {
    const connect = connectFrom(
      {
        url: 'https://${env:CRM_HOST}/leads?key=${env:CRM_KEY}',
        headers: { Authorization: 'Bearer ${env:ACME_TOKEN}', 'X-Version': 2 },
      },
      { CRM_HOST: 'crm.example.com', CRM_KEY: 'k-123', ACME_TOKEN: 'tok-secret-value' },
    );
    expect(connect.origin).toBe('https://crm.example.com');
    expect(connect.url).toEqual([
      { literal: '/leads', slot: 'path' },
      { literal: '?key=k-123', slot: 'query' },
    ]);
    expect(connect.headers).toEqual({ Authorization: 'Bearer tok-secret-value', 'X-Version': '2' });
    expect(connect.secrets).toEqual(['tok-secret-value', 'crm.example.com', 'k-123']);
  });

  it('names a missing or empty environment variable, the file and the path', () => {
    const errors = loadErrors(
      { url: 'https://crm.example.com/?k=${env:CRM_KEY}', headers: { Authorization: 'Bearer ${env:ACME_TOKEN}' } },
      { ACME_TOKEN: '' },
    );
    expect(errors).toEqual([
      { file: FILE, path: 'headers.Authorization', message: 'environment variable ACME_TOKEN is not set (referenced as ${env:ACME_TOKEN})' },
      { file: FILE, path: 'url', message: 'environment variable CRM_KEY is not set (referenced as ${env:CRM_KEY})' },
    ]);
  });

  it('rejects references other than ${env:NAME}', () => {
    expect(loadErrors({ url: 'https://crm.example.com/', headers: { 'X-Key': '${ACME}' } })).toEqual([
      { file: FILE, path: 'headers.X-Key', message: '"${ACME}" is not a supported reference; write ${env:NAME}' },
    ]);
  });

  it('refuses a header value that an environment variable turns into two lines', () => {
    expect(loadErrors({ url: 'https://crm.example.com/', headers: { 'X-Key': '${env:K}' } }, { K: 'a\r\nX-Evil: 1' })).toEqual([
      { file: FILE, path: 'headers.X-Key', message: 'header X-Key contains a line break or NUL (after ${env:} resolution)' },
    ]);
  });

  it.each([
    [{ 'Bad Name': 'x' }, 'headers.Bad Name', '"Bad Name" is not a valid header name'],
    [{ Host: 'other.example.com' }, 'headers.Host', 'header Host is set by leadgate and cannot be configured'],
  ])('rejects header %j', (headers, path, message) => {
    expect(loadErrors({ url: 'https://crm.example.com/', headers })).toEqual([{ file: FILE, path, message }]);
  });

  it.each([
    [{ version: 2 }, 'version', 'Invalid input: expected 1'],
    [{ retries: 6 }, 'retries', 'Too big: expected number to be <=5'],
    [{ timeoutMs: 0 }, 'timeoutMs', 'Too small: expected number to be >=1'],
    [{ method: 'PUT' }, 'method', 'Invalid option: expected one of "GET"|"POST"'],
    [{ method: 'GET', body: 'form' }, 'body', 'body is only allowed with method POST (GET sends the mapped fields in the query string)'],
    [{ bogus: true }, '', 'Unrecognized key: "bogus"'],
    [{ circuit: { failureThreshold: 0 } }, 'circuit.failureThreshold', 'Too small: expected number to be >=1'],
  ])('reports schema error %j precisely', (fields, path, message) => {
    const result = compileConnect({ version: 1, url: 'https://crm.example.com/', ...fields }, FILE, {});
    expect(result).toEqual({ ok: false, errors: [{ file: FILE, path, message }] });
  });

  it('compiles {field} slots in the path and query', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/leads/{phone}?src={source}&v=1' });
    expect(connect.url).toEqual([
      { literal: '/leads/', slot: 'path' },
      { field: 'phone', slot: 'path' },
      { literal: '?src=', slot: 'query' },
      { field: 'source', slot: 'query' },
      { literal: '&v=1', slot: 'query' },
    ]);
  });

  it.each([
    ['ftp://crm.example.com/x', 'scheme must be http or https, not ftp'],
    ['crm.example.com/x', 'not an absolute URL'],
    ['https://user:pw@crm.example.com/x', 'credentials in the URL are not allowed; send them in a header'],
    ['https://{tenant}.example.com/x', 'lead-field slots may only appear in the path or the query, never in the host'],
    ['https://crm.example.com/x#{phone}', 'lead-field slots may only appear in the path or the query, never in the fragment'],
    ['https://crm.example.com/x/{a b}', '"{a b}" is not a lead-field slot; write {fieldName}'],
  ])('refuses URL %s', (url, message) => {
    expect(loadErrors({ url })).toEqual([{ file: FILE, path: 'url', message }]);
  });

  it.each([
    ['http://127.0.0.1:8080/x', 'address 127.0.0.1 is loopback, private, link-local or reserved'],
    ['http://10.0.0.1/x', 'address 10.0.0.1 is loopback, private, link-local or reserved'],
    ['http://169.254.169.254/latest/meta-data', 'address 169.254.169.254 is loopback, private, link-local or reserved'],
    ['http://[::1]/x', 'address [::1] is loopback, private, link-local or reserved'],
    ['http://[::ffff:127.0.0.1]/x', 'address [::ffff:7f00:1] is loopback, private, link-local or reserved'],
    ['http://2130706433/x', 'address 127.0.0.1 is loopback, private, link-local or reserved'],
    ['http://0x7f.1/x', 'address 127.0.0.1 is loopback, private, link-local or reserved'],
    ['http://[fd12::1]/x', 'address [fd12::1] is loopback, private, link-local or reserved'],
    ['http://100.64.1.1/x', 'address 100.64.1.1 is loopback, private, link-local or reserved'],
    ['http://localhost:3000/x', 'host name localhost refers to the local or an internal network'],
    ['http://api.localhost/x', 'host name api.localhost refers to the local or an internal network'],
    ['http://metadata.google.internal/x', 'host name metadata.google.internal refers to the local or an internal network'],
    ['http://crm/x', 'host name crm refers to the local or an internal network'],
  ])('refuses the private destination %s unless allowPrivateNetwork', (url, reason) => {
    expect(loadErrors({ url })).toEqual([
      { file: FILE, path: 'url', message: `${reason}; set allowPrivateNetwork: true to allow it` },
    ]);
    expect(connectFrom({ url, allowPrivateNetwork: true }).allowPrivateNetwork).toBe(true);
  });

  it.each(['https://93.184.216.34/x', 'https://crm.example.com/x', 'https://[2606:4700::1111]/x'])('accepts the public destination %s', (url) => {
    expect(connectFrom({ url }).origin).toBe(new URL(url).origin);
  });

  it('compiles adaptor rows with comma fan-out, defaults and date formats', () => {
    const connect = connectFrom({
      url: 'https://crm.example.com/',
      adaptor: [
        { field: 'phone', mappedTo: 'phone, phone_number' },
        { field: 'email', mappedTo: 'contact.email', default: '' },
        { field: 'dob', mappedTo: 'dob', dateFormat: 'dd/MM/yyyy' },
      ],
    });
    expect(connect.adaptor.map(({ formatDate: _f, ...row }) => row)).toEqual([
      {
        field: 'phone',
        targets: [
          { name: 'phone', path: ['phone'] },
          { name: 'phone_number', path: ['phone_number'] },
        ],
      },
      { field: 'email', targets: [{ name: 'contact.email', path: ['contact', 'email'] }], default: '' },
      { field: 'dob', targets: [{ name: 'dob', path: ['dob'] }], dateFormat: 'dd/MM/yyyy' },
    ]);
  });

  it('keeps a dotted name flat for form bodies', () => {
    const connect = connectFrom({ url: 'https://crm.example.com/', body: 'form', adaptor: [{ field: 'email', mappedTo: 'contact.email' }] });
    expect(connect.adaptor[0]?.targets).toEqual([{ name: 'contact.email', path: ['contact.email'] }]);
  });

  it.each([
    [[{ field: 'dob', mappedTo: 'dob', dateFormat: 'YYYY-MM-DD' }], 'adaptor[0].dateFormat', 'dateFormat "YYYY-MM-DD" uses "YYYY"; supported tokens are yyyy MM dd HH mm ss, literal text goes in single quotes'],
    [[{ field: 'dob', mappedTo: 'dob', dateFormat: "yyyy'T" }], 'adaptor[0].dateFormat', `dateFormat "yyyy'T" has an unterminated quote`],
    [[{ field: 'a', mappedTo: 'contact' }, { field: 'b', mappedTo: 'contact.email' }], 'adaptor[1].mappedTo', '"contact.email" collides with "contact" mapped by adaptor[0]'],
    [[{ field: 'a', mappedTo: 'x' }, { field: 'b', mappedTo: 'y,x' }], 'adaptor[1].mappedTo', '"x" collides with "x" mapped by adaptor[0]'],
    [[{ field: 'a', mappedTo: 'x,,y' }], 'adaptor[0].mappedTo', '"x,,y" has an empty name in its comma list'],
    [[{ field: 'a', mappedTo: 'contact..email' }], 'adaptor[0].mappedTo', '"contact..email" is not a dot path (empty segment)'],
  ])('rejects adaptor %j', (adaptor, path, message) => {
    expect(loadErrors({ url: 'https://crm.example.com/', adaptor })).toEqual([{ file: FILE, path, message }]);
  });
});
