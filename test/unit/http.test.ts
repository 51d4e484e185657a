import { describe, expect, it } from 'vitest';
import { assertTrackId, parseBaseUrl } from '../../lib/zuora/endpoint.ts';
import { parseErrorBody } from '../../lib/zuora/errors.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseHttpDate,
  parseRateLimit,
  parseRetryAfter,
  retryPolicy,
} from '../../lib/zuora/retry.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');

  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it.each([
    null,
    '',
    '-1',
    '1.5',
    'soon',
    '12abc',
    // Date.parse reads these as some date (retry at once); they are not HTTP dates.
    'soon 5',
    'Nov 30',
    'x 2026',
    '2026-11-28T12:00:30Z',
    'Sat, 28 Nov 2026 12:00:30 PST',
    'Sat, 31 Nov 2026 12:00:30 GMT',
    'Sat, 28 Nov 2026 24:00:30 GMT',
    'Saturday, 28-Nov-26 12:00:20 PST',
    'Sat Nov 28 12:60:20 2026',
    'sat, 28 nov 2026 12:00:20 gmt',
    'Sat Nov 8 12:00:20 2026',
  ])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('reads all three HTTP date forms as GMT, whatever the machine zone', () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles']) {
        // Node reads TZ again when it changes: Date.parse would read asctime in this zone.
        process.env.TZ = tz;
        expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:20 GMT', now)).toBe(20_000);
        expect(parseRetryAfter('Saturday, 28-Nov-26 12:00:20 GMT', now)).toBe(20_000);
        expect(parseRetryAfter('Sat Nov 28 12:00:20 2026', now)).toBe(20_000);
        expect(parseRetryAfter('Tue Dec  1 12:00:00 2026', now)).toBe(3 * 86_400_000);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('reads every month by its name, the last second of a day, and a padded value', () => {
    const months = [
      'Jan',
      'Feb',
      'Mar',
      'Apr',
      'May',
      'Jun',
      'Jul',
      'Aug',
      'Sep',
      'Oct',
      'Nov',
      'Dec',
    ];
    months.forEach((month, index) => {
      expect(parseHttpDate(`Thu, 01 ${month} 2026 23:59:59 GMT`, now)).toBe(
        Date.UTC(2026, index, 1, 23, 59, 59),
      );
    });
    expect(parseHttpDate('Thu, 01 Jan 2026 12:00:61 GMT', now)).toBeUndefined();
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
    expect(parseRetryAfter(' Sat, 28 Nov 2026 12:00:30 GMT ', now)).toBe(30_000);
  });

  it('reads a leap second as the second before it', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 12:00:60 GMT', now)).toBe(59_000);
  });

  it('reads a two-digit year as the nearest, at most 50 years ahead', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(
      Date.parse('1994-11-06T08:49:37Z'),
    );
    expect(parseHttpDate('Saturday, 06-Nov-76 08:49:37 GMT', now)).toBe(
      Date.parse('2076-11-06T08:49:37Z'),
    );
  });
});

describe('parseRateLimit, more closely', () => {
  it('keeps only the headers that were sent, fractions and spaced lists included', () => {
    expect(Object.keys(parseRateLimit(new Headers({ 'RateLimit-Reset': '12.75' })))).toEqual([
      'resetSeconds',
    ]);
    expect(parseRateLimit(new Headers({ 'RateLimit-Reset': '12.75' })).resetSeconds).toBe(12.75);
    expect(parseRateLimit(new Headers({ 'RateLimit-Limit': '5 , 100;w=60' })).limit).toBe(5);
    expect(parseRateLimit(new Headers({ 'RateLimit-Limit': '5x,100' })).limit).toBeUndefined();
  });
});

describe('parseRateLimit', () => {
  it('reads plain numbers and IETF draft lists, and ignores malformed values', () => {
    expect(
      parseRateLimit(
        new Headers({
          'RateLimit-Limit': '100, 100;w=60',
          'RateLimit-Remaining': '3',
          'RateLimit-Reset': '12',
        }),
      ),
    ).toEqual({
      limit: 100,
      remaining: 3,
      resetSeconds: 12,
    });
    expect(
      parseRateLimit(
        new Headers({
          'RateLimit-Limit': 'lots',
          'RateLimit-Remaining': '-2',
          'RateLimit-Reset': '',
        }),
      ),
    ).toEqual({});
  });
});

describe('backoffDelay', () => {
  it('is full jitter under an exponential ceiling capped at maxDelayMs', () => {
    const top = () => 0.9999;
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, top)).toBe(249);
    expect(backoffDelay(3, DEFAULT_RETRY_POLICY, top)).toBe(999);
    expect(backoffDelay(10, DEFAULT_RETRY_POLICY, top)).toBe(7_999);
    expect(backoffDelay(4, DEFAULT_RETRY_POLICY, () => 0)).toBe(0);
  });
});

describe('retryPolicy', () => {
  it('applies overrides, and a key set to undefined keeps its default', () => {
    expect(retryPolicy({ maxAttempts: 2, baseDelayMs: undefined })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: 2,
    });
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY_POLICY);
  });
});

describe('parseErrorBody', () => {
  it.each([
    ['{"code":1003,"message":"not in accepted"}', { code: 1003, message: 'not in accepted' }],
    [
      '{"success":false,"reasons":[{"code":53100320,"message":"bad term"}]}',
      { code: 53100320, message: 'bad term' },
    ],
    [
      '{"Success":false,"Errors":[{"Code":"INVALID_VALUE","Message":"bad"}]}',
      { code: 'INVALID_VALUE', message: 'bad' },
    ],
    [
      '{"FaultCode":"INVALID_SESSION","FaultMessage":"expired"}',
      { code: 'INVALID_SESSION', message: 'expired' },
    ],
    ['<html><h1>503 Service Unavailable</h1></html>', { message: '503 Service Unavailable' }],
    ['', {}],
    ['[1,2]', {}],
  ])('reads %s', (body, expected) => {
    expect(parseErrorBody(body)).toEqual(expected);
  });
});

describe('parseBaseUrl', () => {
  it.each([
    'https://rest.zuora.com',
    'https://rest.sandbox.eu.zuora.com/',
    'http://127.0.0.1:8080',
    'http://localhost:3000',
  ])('accepts %s', (url) => {
    expect(() => parseBaseUrl(url)).not.toThrow();
  });

  it.each([
    'http://rest.zuora.com',
    'ftp://x',
    'not a url',
    'https://user:pw@rest.zuora.com',
    'https://rest.zuora.com?x=1',
  ])('refuses %s', (url) => {
    expect(() => parseBaseUrl(url)).toThrow(/base URL/);
  });
});

describe('assertTrackId', () => {
  it('accepts a run id and refuses forbidden characters or length', () => {
    expect(() => assertTrackId('qj-6a7e8feb-b491-4cf7-a9f1-bf3703467718')).not.toThrow();
    for (const bad of ['a:b', 'a;b', 'a"b', "a'b", 'x'.repeat(65), '', 'caf\u00e9', 'a b']) {
      expect(() => assertTrackId(bad)).toThrow(/Zuora-Track-Id/);
    }
  });
});
