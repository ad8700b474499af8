/**
 * Adaptor `dateFormat`: re-writes a date the lead holds into the CRM's format. Formatting is
 * purely textual (the wall-clock values as written; no time-zone conversion), because lead dates
 * such as a date of birth have no zone.
 *
 * Accepted inputs: `yyyy-MM-dd`, `yyyy/MM/dd`, `dd/MM/yyyy`, each optionally followed by a time
 * `HH:mm` or `HH:mm:ss` (separated by a space or `T`, fractions of a second and a trailing `Z` or
 * `±hh:mm` ignored). Tokens: `yyyy MM dd HH mm ss`; text in single quotes is literal
 * (`yyyy-MM-dd'T'HH:mm:ss`), `''` is a quote; any other letter is a load error.
 */

import type { WallClock } from '../leads/callback-date.js';

type DateParts = WallClock;

type Piece = { literal: string } | { token: keyof typeof TOKENS };

const TOKENS = {
  yyyy: (d: DateParts) => String(d.year).padStart(4, '0'),
  MM: (d: DateParts) => pad2(d.month),
  dd: (d: DateParts) => pad2(d.day),
  HH: (d: DateParts) => pad2(d.hour),
  mm: (d: DateParts) => pad2(d.minute),
  ss: (d: DateParts) => pad2(d.second),
} as const;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export type DateFormatter = (value: string) => string | undefined;

export function compileDateFormat(pattern: string): { ok: true; format: DateFormatter } | { ok: false; message: string } {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] ?? '';
    if (ch === "'" && pattern[i + 1] === "'") {
      pieces.push({ literal: "'" });
      i += 2;
    } else if (ch === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        const end = pattern.indexOf("'", j);
        if (end < 0) return { ok: false, message: `dateFormat "${pattern}" has an unterminated quote` };
        text += pattern.slice(j, end);
        if (pattern[end + 1] !== "'") {
          j = end + 1;
          break;
        }
        text += "'";
        j = end + 2;
      }
      pieces.push({ literal: text });
      i = j;
    } else if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (pattern[j] === ch) j++;
      const run = pattern.slice(i, j);
      if (!(run in TOKENS)) {
        return {
          ok: false,
          message: `dateFormat "${pattern}" uses "${run}"; supported tokens are yyyy MM dd HH mm ss, literal text goes in single quotes`,
        };
      }
      pieces.push({ token: run as keyof typeof TOKENS });
      i = j;
    } else {
      pieces.push({ literal: ch });
      i++;
    }
  }
  return {
    ok: true,
    format: (value) => {
      const parts = parseLeadDate(value);
      if (!parts) return undefined;
      return pieces.map((p) => ('literal' in p ? p.literal : TOKENS[p.token](parts))).join('');
    },
  };
}

const TIME = String.raw`(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`;
const YMD = new RegExp(String.raw`^(\d{4})[-/](\d{2})[-/](\d{2})${TIME}$`);
const DMY = new RegExp(String.raw`^(\d{2})/(\d{2})/(\d{4})${TIME}$`);

/** Parses one of the accepted input forms; undefined when the text is not a real date. */
export function parseLeadDate(value: string): DateParts | undefined {
  const text = value.trim();
  let year: string | undefined;
  let month: string | undefined;
  let day: string | undefined;
  let time: (string | undefined)[];
  const ymd = YMD.exec(text);
  const dmy = ymd ? null : DMY.exec(text);
  if (ymd) {
    // yyyy-MM/dd mixes are not a date anyone writes
    if (text[4] !== text[7]) return undefined;
    [, year, month, day, ...time] = ymd;
  } else if (dmy) {
    [, day, month, year, ...time] = dmy;
  } else {
    return undefined;
  }
  const parts: DateParts = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(time[0] ?? 0),
    minute: Number(time[1] ?? 0),
    second: Number(time[2] ?? 0),
  };
  if (parts.month < 1 || parts.month > 12 || parts.day < 1) return undefined;
  if (parts.day > daysInMonth(parts.year, parts.month)) return undefined;
  if (parts.hour > 23 || parts.minute > 59 || parts.second > 59) return undefined;
  return parts;
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // Date.UTC would read years below 100 as 19xx
  return date.getUTCDate();
}
