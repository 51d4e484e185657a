import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../lib/contract/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['45s', 45_000],
    ['1.5h', 5_400_000],
    ['PT2H', 7_200_000],
    ['pt1h30m', 5_400_000],
    ['P1D', 86_400_000],
    ['P1DT1H', 90_000_000],
    ['PT300S', 300_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 'h', '2 hours', 'P', 'PT', '-5m', 'P1W', '1h30m', 'PT2H ; rm'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it('prints compact units', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(90_061_000)).toBe('1d1h1m1s');
  });
});
