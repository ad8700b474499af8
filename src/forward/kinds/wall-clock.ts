import { wallClockAt } from '../../leads/callback-date.js';

/* Noojee's njCallBackDate: `yyyy/MM/dd HH:mm`, wall-clock time in the lead's contact-hours zone (seed 001). */

const NOOJEE_FORM = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2})(:\d{2})?$/;

/**
 * A callback time as Noojee takes it. Text already in Noojee's form (an update queued as the
 * caller wrote it) goes as is, seconds dropped; an instant (a Date or ISO 8601 text) is written
 * on the clocks of `timeZone` (UTC when the lead's zone is not known). Unreadable text: undefined.
 */
export function noojeeCallbackDate(value: Date | string, timeZone: string | undefined): string | undefined {
  if (typeof value === 'string') {
    const given = NOOJEE_FORM.exec(value.trim());
    if (given) return given[1];
  }
  const at = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(at.getTime())) return undefined;
  return wallClockText(at, timeZone ?? 'UTC');
}

const two = (n: number) => String(n).padStart(2, '0');

function wallClockText(at: Date, timeZone: string): string {
  const clock = wallClockAt(at, timeZone);
  return `${clock.year}/${two(clock.month)}/${two(clock.day)} ${two(clock.hour)}:${two(clock.minute)}`;
}
