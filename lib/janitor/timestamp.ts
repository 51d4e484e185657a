/**
 * Zuora timestamps, read strictly: ISO 8601 date and time (`2026-11-28T12:15:00`, optional
 * fraction, `Z` or an offset such as `+01:00`). A timestamp without an offset is read in the
 * tenant's time zone (UTC unless configured), never in the machine's. Anything else, `"1"` and
 * `"Nov 28"` included, is unreadable: the caller must treat the job as one it cannot judge.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** The first year a Data Query job can date from: anything earlier is a placeholder. */
const FIRST_YEAR = 2015;

/** Epoch milliseconds of `text`, or undefined when it is not a strict ISO 8601 date-time. */
export function parseTimestamp(text: unknown, timeZone = 'UTC'): number | undefined {
  if (typeof text !== 'string' || text.length > 40) return undefined;
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 30 February over into March: a date that does not exist is unreadable, and
  // so is one before Data Query existed (a placeholder such as 0001-01-01 or 2000-01-01 is not
  // an age; Data Query came years after 2015).
  if (new Date(wall).getUTCDate() !== d || y < FIRST_YEAR) return undefined;
  if (zone === undefined) return wall - zoneOffsetMs(timeZone, wall);
  if (zone === 'Z' || zone === 'z') return wall;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMinutes = Number(digits.slice(2) || '0');
  if (offsetHours > 14 || offsetMinutes > 59) return undefined;
  return wall - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

const DAY_MS = 86_400_000;

/**
 * How far `timeZone` is ahead of UTC at the wall-clock time `wall` (epoch milliseconds of the
 * local time read as if it were UTC). Away from a clock change that is the one offset in force.
 * Near one, a wall time can have two readings (the hour repeated when clocks go back) or none
 * (the hour skipped when they go forward): then the youngest reading wins, so that a job is
 * never judged older than it may be.
 */
function zoneOffsetMs(timeZone: string, wall: number): number {
  if (timeZone === 'UTC') return 0;
  // A day either side covers every offset (-12 to +14 hours) a reading could use.
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  if (before === after) return before;
  // A reading holds when the zone's offset at the instant it names is the one it assumed.
  const readings = [before, after].filter((offset) => offsetAt(timeZone, wall - offset) === offset);
  // The youngest reading is the latest instant: the smallest offset. None holds in a skipped hour.
  return Math.min(...(readings.length > 0 ? readings : [before, after]));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function offsetAt(timeZone: string, instant: number): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const part = (type: string) =>
    Number(format.formatToParts(instant).find((p) => p.type === type)?.value);
  const local = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return local - (instant - (instant % 1000));
}
