import { describe, expect, it } from 'vitest';
import { parseCallbackDate, zonedWallClockToInstant } from '../../src/leads/callback-date.js';
import { isNoChange } from '../../src/leads/no-change.js';
import { parsePhone } from '../../src/leads/phone.js';

describe('parsePhone', () => {
  it.each([
    ['0383208134', 'AU', '+61383208134'],
    ['383208134', 'AU', '+61383208134'],
    ['+61 3 8320 8134', 'AU', '+61383208134'],
    ['(03) 8320-8134', 'AU', '+61383208134'],
    [383208134, 'AU', '+61383208134'],
    ['0412 345 678', 'AU', '+61412345678'],
    ['+44 20 7946 0958', 'AU', '+442079460958'],
    ['212-555-0142', 'US', '+12125550142'],
  ] as const)('%s in %s is %s', (input, country, e164) => {
    expect(parsePhone(input, country)).toEqual({ kind: 'valid', e164 });
  });

  it.each([[''], ['   '], [null], [undefined]])('%j is empty, not an error', (input) => {
    expect(parsePhone(input, 'AU')).toEqual({ kind: 'empty' });
  });

  it.each([['123'], ['call me'], ['0383'], ['+99 123']])('%s is not a number', (input) => {
    expect(parsePhone(input, 'AU')).toEqual({ kind: 'invalid', text: input });
  });
});

describe('isNoChange', () => {
  it.each([
    ['<No Change>', true],
    ['<NO CHANGE>', true],
    ['  <no change>  ', true],
    ['No Change', false],
    ['<NoChange>', false],
    [null, false],
    [0, false],
  ] as const)('%j → %s', (value, expected) => {
    expect(isNoChange(value)).toBe(expected);
  });
});

describe('callback dates', () => {
  it.each([
    ['2016/12/31 14:23', { year: 2016, month: 12, day: 31, hour: 14, minute: 23, second: 0 }],
    ['2016/12/31 14:23:59', { year: 2016, month: 12, day: 31, hour: 14, minute: 23, second: 59 }],
    [' 2024/02/29 00:00 ', { year: 2024, month: 2, day: 29, hour: 0, minute: 0, second: 0 }],
  ])('parses %s', (text, wall) => {
    expect(parseCallbackDate(text)).toEqual(wall);
  });

  it.each([['2023/02/29 10:00'], ['2016/13/01 10:00'], ['2016/12/31 14:60'], ['2016/12/31'], ['2016-12-31 14:23'], ['31/12/2016 14:23'], ['2016/12/31 14:23:00.5']])(
    'rejects %s',
    (text) => {
      expect(parseCallbackDate(text)).toBeNull();
    },
  );

  it.each([
    ['summer time', '2016/12/31 14:23', '2016-12-31T03:23:00.000Z'],
    ['standard time', '2016/07/01 09:00', '2016-06-30T23:00:00.000Z'],
    ['a time skipped by spring-forward moves forward', '2026/10/04 02:30', '2026-10-03T16:30:00.000Z'],
    ['an ambiguous autumn time takes the earlier instant', '2026/04/05 02:30', '2026-04-04T15:30:00.000Z'],
  ])('places %s in Australia/Melbourne', (_name, text, iso) => {
    expect(zonedWallClockToInstant(parseCallbackDate(text)!, 'Australia/Melbourne').toISOString()).toBe(iso);
  });
});
