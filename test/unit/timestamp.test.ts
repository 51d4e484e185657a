/**
 * How Zuora's `updatedOn` is read: strict ISO 8601, an offset when there is one, the tenant's
 * time zone when there is none (across DST changes too), and nothing else. A date the janitor
 * misreads is an age it misjudges, so every accepted form is pinned to its instant and every
 * near miss must read as unreadable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../lib/janitor/timestamp.ts';

const at = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

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
    ['2015-01-01T00:00:00Z', '2015-01-01T00:00:00.000Z'],
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
    ['the placeholder of a new millennium', '2000-01-01T00:00:00Z'],
    ['a year before Data Query could have run a job', '2014-12-31T23:59:59Z'],
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

  it('takes the younger reading of the hour repeated when clocks go back', () => {
    // New York goes back from EDT (UTC-4) to EST (UTC-5) at 06:00 UTC on 1 November 2026: 01:30
    // happened at 05:30 and again at 06:30 UTC. Read as 05:30, a job would be an hour older.
    expect(parseTimestamp('2026-11-01T01:30:00', 'America/New_York')).toBe(
      at('2026-11-01T06:30:00Z'),
    );
    // East of UTC too: Paris repeats 02:00-03:00 on 25 October 2026 (00:30 and 01:30 UTC).
    expect(parseTimestamp('2026-10-25T02:30:00', 'Europe/Paris')).toBe(at('2026-10-25T01:30:00Z'));
    // And a change of half an hour: Lord Howe Island repeats 01:30-02:00 on 5 April 2026.
    expect(parseTimestamp('2026-04-05T01:45:00', 'Australia/Lord_Howe')).toBe(
      at('2026-04-04T15:15:00Z'),
    );
  });

  it('reads a time in the hour skipped when clocks go forward as the later instant', () => {
    // 02:30 never happened in New York on 8 March 2026: read as EST it would be 07:30 UTC, as
    // EDT 06:30 UTC. The later one: never older than it may be.
    expect(parseTimestamp('2026-03-08T02:30:00', 'America/New_York')).toBe(
      at('2026-03-08T07:30:00Z'),
    );
    // East of UTC: Paris skips 02:00-03:00 on 29 March 2026. As CET (+1) 01:30 UTC, as CEST
    // (+2) 00:30 UTC: the later.
    expect(parseTimestamp('2026-03-29T02:30:00', 'Europe/Paris')).toBe(at('2026-03-29T01:30:00Z'));
  });

  it('reads any wall time back as an instant that shows it, never older than the job', () => {
    const zones = [
      'America/New_York',
      'America/Los_Angeles',
      'America/Santiago',
      'Europe/London',
      'Europe/Paris',
      'Australia/Lord_Howe',
      'Pacific/Auckland',
      'Pacific/Chatham',
      'Asia/Kolkata',
    ];
    const walls = new Map(
      zones.map((zone) => [
        zone,
        new Intl.DateTimeFormat('sv-SE', {
          timeZone: zone,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        }),
      ]),
    );
    const wallOf = (instant: number, zone: string) =>
      walls.get(zone)?.format(instant).replace(' ', 'T') as string;
    const offsetOf = (instant: number, zone: string) => at(`${wallOf(instant, zone)}Z`) - instant;
    // Every clock change of 2026 to 2030 in these zones, to the second: a uniform instant would
    // land in a repeated or skipped hour about once in 4,000 tries.
    const changes: [string, number][] = [];
    for (const zone of zones) {
      for (let day = at('2026-01-01T00:00:00Z'); day < at('2031-01-01T00:00:00Z'); day += DAY) {
        if (offsetOf(day, zone) === offsetOf(day + DAY, zone)) continue;
        let [low, high] = [day, day + DAY];
        while (high - low > 1000) {
          const middle = low + Math.floor((high - low) / 2000) * 1000;
          if (offsetOf(middle, zone) === offsetOf(low, zone)) low = middle;
          else high = middle;
        }
        changes.push([zone, high]);
      }
    }
    expect(changes.length).toBeGreaterThan(60);
    const nearAChange = fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -7_200, max: 7_200 }))
      .map(([[zone, change], seconds]) => [zone, change + seconds * 1000] as const);
    const anyTime = fc
      .tuple(
        fc.constantFrom(...zones),
        fc.integer({
          min: at('2026-01-01T00:00:00Z') / 1000,
          max: at('2031-01-01T00:00:00Z') / 1000,
        }),
      )
      .map(([zone, seconds]) => [zone, seconds * 1000] as const);
    fc.assert(
      fc.property(fc.oneof(nearAChange, anyTime), ([zone, instant]) => {
        const wall = wallOf(instant, zone);
        const read = parseTimestamp(wall, zone) as number;
        // A reading the zone's clocks really showed, never before the instant, and later only
        // by a repeated hour (at most one).
        expect(wallOf(read, zone)).toBe(wall);
        expect(read - instant).toBeGreaterThanOrEqual(0);
        expect(read - instant).toBeLessThanOrEqual(3_600_000);
      }),
      { numRuns: 2_000 },
    );
  });

  it('ignores the time zone when the text carries its own offset', () => {
    expect(parseTimestamp('2026-11-28T12:15:00Z', 'Asia/Tokyo')).toBe(at('2026-11-28T12:15:00Z'));
    expect(parseTimestamp('2026-11-28T12:15:00+01:00', 'Asia/Tokyo')).toBe(
      at('2026-11-28T11:15:00Z'),
    );
  });
});
