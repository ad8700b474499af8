import { describe, expect, it } from 'vitest';
import { compileDateFormat } from '../../src/crm/date-format.js';

function format(pattern: string, value: string): string | undefined {
  const compiled = compileDateFormat(pattern);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.format(value);
}

describe('dateFormat', () => {
  it.each([
    ['yyyy-MM-dd', '1980-07-04', '1980-07-04'],
    ['yyyy-MM-dd', '1980/07/04', '1980-07-04'],
    ['yyyy-MM-dd', '04/07/1980', '1980-07-04'],
    ['dd/MM/yyyy', '1980-07-04', '04/07/1980'],
    ['yyyy-MM-dd HH:mm:ss', '2024/02/29 13:05', '2024-02-29 13:05:00'],
    ['yyyy-MM-dd HH:mm:ss', '2024-02-29T13:05:09.123Z', '2024-02-29 13:05:09'],
    ['yyyy-MM-dd HH:mm:ss', '2024-02-29T13:05:09+10:00', '2024-02-29 13:05:09'],
    ["yyyy-MM-dd'T'HH:mm", '01/12/2023 08:30:15', '2023-12-01T08:30'],
    ["dd 'o''clock' HH", '2023-12-01 08:30', "01 o'clock 08"],
    ['yyyyMMdd', ' 2023-12-01 ', '20231201'],
  ])('%s formats %j as %j', (pattern, value, expected) => {
    expect(format(pattern, value)).toBe(expected);
  });

  it.each(['2023-02-29', '2023-13-01', '31/04/2023', '2023-12-01 24:00', 'yesterday', '2023-12/01', '1/2/2023', '20231201'])(
    'does not read %j as a date',
    (value) => {
      expect(format('yyyy-MM-dd', value)).toBeUndefined();
    },
  );

  it.each([
    ['YYYY-MM-DD', 'dateFormat "YYYY-MM-DD" uses "YYYY"; supported tokens are yyyy MM dd HH mm ss, literal text goes in single quotes'],
    ['yyyy-M-d', 'dateFormat "yyyy-M-d" uses "M"; supported tokens are yyyy MM dd HH mm ss, literal text goes in single quotes'],
    ['yyyy-MM-ddTHH', 'dateFormat "yyyy-MM-ddTHH" uses "T"; supported tokens are yyyy MM dd HH mm ss, literal text goes in single quotes'],
  ])('rejects %s', (pattern, message) => {
    expect(compileDateFormat(pattern)).toEqual({ ok: false, message });
  });
});
