/**
 * Scheduler expressions as the configuration file takes them: what EventBridge Scheduler would
 * refuse at deploy time is refused at synth (and by `config validate`), naming what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { longestGapMs, schedulePeriodMs, scheduleProblem } from '../../lib/contract/schedule.ts';

describe('scheduleProblem takes', () => {
  it.each([
    'rate(1 minute)',
    'rate(15 minutes)',
    'rate(1 day)',
    'cron(0/15 * * * ? *)',
    'cron(0 12 * * ? *)',
    'cron(0 8 1 * ? *)',
    'cron(0/5 8-17 ? * MON-FRI *)',
    'cron(0 18 ? * mon-fri *)',
    'cron(15 10 ? * 6L 2026-2030)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 9 ? * L *)',
    'cron(0 0 L * ? *)',
    'cron(0 0 LW * ? *)',
    'cron(0 0 15W * ? *)',
    'cron(0 0 l * ? *)',
    'cron(0 0 lw * ? *)',
    'cron(0 0 15w * ? *)',
    'cron(0,30 * * JAN,JUL ? *)',
    'cron(0 0 1/2 * ? 2199)',
  ])('%s', (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });
});

describe('scheduleProblem refuses, saying why', () => {
  it.each([
    ['both day fields set', 'cron(0/15 * * * * *)', /exactly one of day-of-month and day-of-week/],
    ['neither day field set', 'cron(0 12 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['minutes out of range', 'cron(60 * * * ? *)', /minutes "60" is not a value or range in 0-59/],
    ['hours out of range', 'cron(0 24 * * ? *)', /hours "24"/],
    ['a day of month out of range', 'cron(0 0 32 * ? *)', /day-of-month "32"/],
    ['a weekday nearest the 32nd', 'cron(0 0 32W * ? *)', /day-of-month "32W" is out of range/],
    ['a month out of range', 'cron(0 0 * 13 ? *)', /month "13"/],
    ['a month misspelt', 'cron(0 0 * JANUARY ? *)', /month "JANUARY"/],
    ['a day of week out of range', 'cron(0 0 ? * 8 *)', /day-of-week "8"/],
    ['a sixth Monday', 'cron(0 0 ? * MON#6 *)', /day-of-week "MON#6"/],
    ['a year out of range', 'cron(0 0 * * ? 2200)', /year "2200"/],
    ['a zero step', 'cron(0/0 * * * ? *)', /minutes "0\/0" has a bad step/],
    ['two steps', 'cron(0/5/5 * * * ? *)', /bad step/],
    ['letters', 'cron(a b c d ? f)', /minutes "a"/],
    ['? where it does not belong', 'cron(? * * * ? *)', /minutes "\?"/],
    ['an L in the wrong field', 'cron(0 L * * ? *)', /hours "L"/],
    ['a day of month 0', 'cron(0 0 0 * ? *)', /day-of-month "0"/],
    ['a month 0', 'cron(0 0 * 0 ? *)', /month "0"/],
    ['a day of week 0', 'cron(0 0 ? * 0 *)', /day-of-week "0"/],
    ['a year before 1970', 'cron(0 0 * * ? 1969)', /year "1969"/],
    ['a zeroth Monday', 'cron(0 0 ? * MON#0 *)', /day-of-week "MON#0"/],
    ['a range of three', 'cron(1-2-3 * * * ? *)', /minutes "1-2-3"/],
    ['a day name for a month', 'cron(0 0 * MON ? *)', /month "MON"/],
    ['a last weekday in the day of month', 'cron(0 0 5L * ? *)', /day-of-month "5L"/],
    ['five fields', 'cron(0 12 * * ?)', /must be a Scheduler expression/],
    ['a rate of 0', 'rate(0 minutes)', /at least 1 minute/],
    ['a rate in seconds', 'rate(30 seconds)', /must be a Scheduler expression/],
  ])('%s: %s', (_name, expression, problem) => {
    expect(scheduleProblem(expression)).toMatch(problem);
  });
});

describe('schedulePeriodMs', () => {
  it('is the period of a rate, and unknown for a cron expression', () => {
    expect(schedulePeriodMs('rate(15 minutes)')).toBe(900_000);
    expect(schedulePeriodMs('rate(1 day)')).toBe(86_400_000);
    expect(schedulePeriodMs('cron(0/15 * * * ? *)')).toBeUndefined();
  });
});

describe('longestGapMs: what a "has not run" alarm must wait out', () => {
  const HOUR = 3_600_000;
  it.each([
    ['rate(15 minutes)', 0.25 * HOUR],
    ['rate(1 day)', 24 * HOUR],
    ['cron(0/15 * * * ? *)', 0.25 * HOUR],
    ['cron(5,20 * * * ? *)', 0.75 * HOUR],
    ['cron(0 0 * * ? *)', 24 * HOUR],
    ['cron(0 6,18 * * ? *)', 12 * HOUR],
    // Friday 09:00 to Monday 09:00.
    ['cron(0 9 ? * MON-FRI *)', 72 * HOUR],
    // Friday 17:30 to Monday 08:00.
    ['cron(0/30 8-17 ? * 2-6 *)', 62.5 * HOUR],
    // Every day but Wednesday (the sample week starts on a Monday, 5 January 2026).
    ['cron(0 12 ? * SUN,MON,TUE,THU,FRI,SAT *)', 48 * HOUR],
  ])('%s: %d ms', (expression, gap) => {
    expect(longestGapMs(expression)).toBe(gap);
  });

  it.each([
    'cron(0 0 ? * SUN *)',
    'cron(0 12 L * ? *)',
    'cron(0 9 ? * 2#1 *)',
    'cron(0 0 1 * ? *)',
    'cron(0 0 * * ? 2030)',
  ])('is unknown for %s, which runs less than twice in eight days', (expression) => {
    expect(longestGapMs(expression)).toBeUndefined();
  });
});
