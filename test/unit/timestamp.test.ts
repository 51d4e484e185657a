/**
 * How Zuora's `updatedOn` is read: strict ISO 8601, an offset when there is one, the tenant's
 * time zone when there is none (across DST changes too), and nothing else. A date the janitor
 * misreads is an age it misjudges, so every accepted form is pinned to its instant and every
 * near miss must read as unreadable.
 */
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../lib/janitor/timestamp.ts';

const at = (iso: string) => Date.parse(iso);

describe('parseTimestamp reads', () => {
  it.each([
    ['2026-11-28T12:15:00Z', '2026-11-28T12:15:00.000Z'],
    ['2026-11-28t12:15:00z', '2026-11-28T12:15:00.000Z'],
    ['2026-11-28T12:15:00', '2026-11-28T12:15:00.000Z'],
    ['2026-11-28T12:15', '2026-11-28T12:15:00.000Z'],
    ['2026-11-28T12:15Z', '2026-11-28T12:15:00.000Z'],
    ['2026-11-28T12:15:07.5Z', '2026-11-28T12:15:07.500Z'],
    ['2026-11-28T12:15:07,25Z', '2026-11-28T12:15:07.250Z'],
    ['2026-11-28T12:15:07.123456789Z', '2026-11-28T12:15:07.123Z'],
    ['2026-11-28T12:15:00+01:00', '2026-11-28T11:15:00.000Z'],
    ['2026-11-28T12:15:00+0130', '2026-11-28T10:45:00.000Z'],
    ['2026-11-28T12:15:00+01', '2026-11-28T11:15:00.000Z'],
    ['2026-11-28T12:15:00-05:30', '2026-11-28T17:45:00.000Z'],
    ['2026-11-28T12:15:00+14:00', '2026-11-27T22:15:00.000Z'],
    ['2026-11-28T12:15:00-00:59', '2026-11-28T13:14:00.000Z'],
    ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('%s as %s', (text, instant) => {
    expect(parseTimestamp(text)).toBe(at(instant));
  });
});

describe('parseTimestamp refuses', () => {
  it.each([
    ['a month 0', '2026-00-10T12:00:00Z'],
    ['a month 13', '2026-13-10T12:00:00Z'],
    ['a day 0', '2026-11-00T12:00:00Z'],
    ['a day past the end of the month', '2026-02-29T12:00:00Z'],
    ['a day 32', '2026-01-32T12:00:00Z'],
    ['hour 24', '2026-11-28T24:00:00Z'],
    ['minute 60', '2026-11-28T12:60:00Z'],
    ['second 60', '2026-11-28T12:15:60Z'],
    ['a year before Data Query existed', '1999-12-31T23:59:59Z'],
    ['a placeholder date', '0001-01-01T00:00:00Z'],
    ['an offset past +14', '2026-11-28T12:15:00+15:00'],
    ['offset minutes past 59', '2026-11-28T12:15:00+01:60'],
    ['a date alone', '2026-11-28'],
    ['a space for the T', '2026-11-28 12:15:00Z'],
    ['a 1-digit hour', '2026-11-28T9:15:00Z'],
    ['a 1-digit month', '2026-1-28T09:15:00Z'],
    ['a 5-digit year', '20260-11-28T09:15:00Z'],
    ['ten fraction digits', '2026-11-28T12:15:00.1234567890Z'],
    ['an empty fraction', '2026-11-28T12:15:00.Z'],
    ['a fraction without seconds', '2026-11-28T12:15.5Z'],
    ['a 3-digit offset', '2026-11-28T12:15:00+013'],
    ['a named zone', '2026-11-28T12:15:00 UTC'],
    ['text before', 'on 2026-11-28T12:15:00Z'],
    ['text after', '2026-11-28T12:15:00Z!'],
    ['epoch seconds', '1764332100'],
    ['a month name', 'Nov 28, 2026 12:15'],
    ['an empty string', ''],
  ])('%s (%s)', (_name, text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it.each([null, undefined, 1764332100000, new Date(0)])('what is not a string (%j)', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });
});

describe('a timestamp without an offset', () => {
  it("is read in the tenant's time zone, afternoon and fractions included", () => {
    // New York is UTC-5 in November.
    expect(parseTimestamp('2026-11-28T18:30:00.250', 'America/New_York')).toBe(
      at('2026-11-28T23:30:00.250Z'),
    );
    // Kolkata is UTC+5:30 all year.
    expect(parseTimestamp('2026-11-28T00:10:00', 'Asia/Kolkata')).toBe(
      at('2026-11-27T18:40:00.000Z'),
    );
  });

  it('lands right on the day clocks change, on both sides of the change', () => {
    // Clocks in New York go forward at 07:00 UTC on 8 March 2026: 01:30 is still EST (UTC-5),
    // 05:00 already EDT (UTC-4).
    expect(parseTimestamp('2026-03-08T01:30:00', 'America/New_York')).toBe(
      at('2026-03-08T06:30:00Z'),
    );
    expect(parseTimestamp('2026-03-08T05:00:00', 'America/New_York')).toBe(
      at('2026-03-08T09:00:00Z'),
    );
  });

  it('ignores the time zone when the text carries its own offset', () => {
    expect(parseTimestamp('2026-11-28T12:15:00Z', 'Asia/Tokyo')).toBe(at('2026-11-28T12:15:00Z'));
    expect(parseTimestamp('2026-11-28T12:15:00+01:00', 'Asia/Tokyo')).toBe(
      at('2026-11-28T11:15:00Z'),
    );
  });
});
