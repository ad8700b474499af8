import { describe, expect, it } from 'vitest';
import { createConsoleLogger } from '../../src/entry/console-logger.js';

/** The Workers logger: pino's call shapes and fields, the same redaction, levels by threshold. */
function capture() {
  const lines: Array<{ stream: 'log' | 'warn' | 'error'; line: Record<string, unknown> }> = [];
  const sink = {
    log: (l: string) => lines.push({ stream: 'log', line: JSON.parse(l) }),
    warn: (l: string) => lines.push({ stream: 'warn', line: JSON.parse(l) }),
    error: (l: string) => lines.push({ stream: 'error', line: JSON.parse(l) }),
  };
  return { lines, sink };
}
const now = () => new Date('2026-12-01T10:00:00.000Z');

describe('the console logger', () => {
  it('writes one JSON line with level, time, service, bindings, fields and msg', () => {
    const { lines, sink } = capture();
    const log = createConsoleLogger('info', { sink, now }).child({ requestId: 'r-1' });
    log.info({ event: 'http.request', status: 200 }, 'request');
    log.warn('plain text');
    expect(lines).toEqual([
      { stream: 'log', line: { level: 'info', time: '2026-12-01T10:00:00.000Z', service: 'leadgate', requestId: 'r-1', event: 'http.request', status: 200, msg: 'request' } },
      { stream: 'warn', line: { level: 'warn', time: '2026-12-01T10:00:00.000Z', service: 'leadgate', requestId: 'r-1', msg: 'plain text' } },
    ]);
  });

  it('drops lines under the level', () => {
    const { lines, sink } = capture();
    const log = createConsoleLogger('warn', { sink, now });
    log.debug({ a: 1 }, 'debug');
    log.info({ a: 1 }, 'info');
    log.error({ a: 1 }, 'error');
    expect(lines.map((l) => [l.stream, l.line.msg])).toEqual([['error', 'error']]);
  });

  it('blanks the same secret paths as the Node logger, without touching the caller\'s object', () => {
    const { lines, sink } = capture();
    const fields = { apiKey: 'k', headers: { authorization: 'Bearer x', cookie: 'c', accept: '*/*' }, request: { auth_token: 't', secrets: ['s'], url: '/x' } };
    createConsoleLogger('info', { sink, now }).info(fields, 'm');
    expect(lines[0]!.line).toMatchObject({
      apiKey: '[REDACTED]',
      headers: { authorization: '[REDACTED]', cookie: '[REDACTED]', accept: '*/*' },
      request: { auth_token: '[REDACTED]', secrets: '[REDACTED]', url: '/x' },
    });
    expect(fields.headers.authorization).toBe('Bearer x');
  });

  it('serialises errors with their type, message, code and cause', () => {
    const { lines, sink } = capture();
    const err = Object.assign(new Error('boom', { cause: new TypeError('inner') }), { code: 'E1' });
    createConsoleLogger('info', { sink, now }).error({ err, big: 10n }, 'failed');
    expect(lines[0]!.line).toMatchObject({ err: { type: 'Error', message: 'boom', code: 'E1', cause: { type: 'TypeError', message: 'inner' } }, big: '10' });
  });
});
