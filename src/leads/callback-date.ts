import { scalarText, type Scalar } from './scalar.js';

/** A wall-clock time as the caller wrote it, before it is placed in a time zone. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const FORMAT = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Parses `yyyy/MM/dd HH:mm[:ss]`; null when the text is not that format or not a real date. */
export function parseCallbackDate(value: Scalar | undefined): WallClock | null {
  const match = FORMAT.exec(scalarText(value).trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((p) => (p === undefined ? 0 : Number(p))) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  return { year, month, day, hour, minute, second };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** What the clocks in `timeZone` show at `instant`: year, month (1–12), day, hour, minute, second. */
export function wallClockAt(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** Offset of `timeZone` from UTC at `instant`, in milliseconds. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = wallClockAt(new Date(instant), timeZone);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which `wall` is shown on clocks in `timeZone`, resolved as calendar libraries do
 * ("compatible"): a wall time skipped by a DST change moves forward by the gap (02:30 on a
 * spring-forward night becomes 03:30), an ambiguous one (autumn) takes the earlier instant.
 */
export function zonedWallClockToInstant(wall: WallClock, timeZone: string): Date {
  const naive = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const offsetBefore = zoneOffsetMs(naive - 43_200_000, timeZone);
  const offsetAfter = zoneOffsetMs(naive + 43_200_000, timeZone);
  const candidates = [naive - offsetBefore, naive - offsetAfter].filter((t) => zoneOffsetMs(t, timeZone) === naive - t);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  return new Date(naive - offsetBefore);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
