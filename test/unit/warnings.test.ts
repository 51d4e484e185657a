/**
 * Warnings before the cancel, without state: across a simulated day of 15-minute scheduled runs,
 * each job is warned exactly once when runs start late within the schedule's flexible window,
 * and at most once when a run is skipped; never by a run without a window (on demand, CLI).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../lib/contract/duration.ts';
import { flexibleWindowMs } from '../../lib/contract/schedule.ts';
import { resolveTenant, tenantProblems } from '../../lib/contract/settings.ts';
import { type PolicyRules, warningDue } from '../../lib/janitor/policy.ts';
import type { QueryJob } from '../../lib/zuora/model.ts';

const MINUTE = 60_000;
const PERIOD = 15 * MINUTE;
const FLEXIBLE_WINDOW = 5 * MINUTE;
const DAY_START = Date.parse('2026-11-28T00:00:00Z');
const rules: PolicyRules = {
  staleAfterMs: { accepted: 120 * MINUTE, in_progress: 90 * MINUTE },
  protectCreatedBy: ['svc'],
  onlyCreatedBy: [],
};
const WARN_BEFORE = 30 * MINUTE;

/** Jobs that would cross their warning age during the day, some protected. */
const jobs = fc.array(
  fc.record({
    id: fc.uuid(),
    queryStatus: fc.constantFrom('accepted' as const, 'in_progress' as const),
    updatedOn: fc
      .integer({ min: -120 * MINUTE, max: 22 * 60 * MINUTE })
      .map((offset) => new Date(DAY_START + offset).toISOString()),
    createdBy: fc.constantFrom('alice', 'bob', 'svc'),
    query: fc.constant('select 1'),
  }),
  { minLength: 1, maxLength: 40 },
);

/** Runs the day: each scheduled time, started `lateness(k)` after it, unless `skipped(k)`. */
function simulate(
  day: readonly QueryJob[],
  lateness: (k: number) => number,
  skipped: (k: number) => boolean = () => false,
  warnBeforeMs = WARN_BEFORE,
): Map<string, number> {
  const warned = new Map<string, number>();
  for (let k = 1; k <= 96; k++) {
    if (skipped(k)) continue;
    const scheduledAt = DAY_START + k * PERIOD;
    const now = scheduledAt + lateness(k);
    for (const job of day) {
      if (
        warningDue(job, now, rules, {
          scheduledAt,
          periodMs: PERIOD,
          warnBeforeMs,
        }) !== undefined
      ) {
        warned.set(job.id, (warned.get(job.id) ?? 0) + 1);
      }
    }
  }
  return warned;
}

/** Jobs the day's windows cover: their crossing is in (start, end], and they are not protected. */
function covered(day: readonly QueryJob[], warnBeforeMs = WARN_BEFORE): string[] {
  return day
    .filter((job) => job.createdBy !== 'svc')
    .filter((job) => {
      const crossing =
        Date.parse(job.updatedOn as string) +
        rules.staleAfterMs[job.queryStatus as 'accepted'] -
        warnBeforeMs;
      return crossing > DAY_START && crossing <= DAY_START + 96 * PERIOD;
    })
    .map((job) => job.id);
}

describe('warnings across a simulated day of 15-minute runs', () => {
  it('warn each job exactly once when runs start late within the flexible window', () => {
    fc.assert(
      fc.property(
        jobs,
        fc.array(fc.integer({ min: 0, max: FLEXIBLE_WINDOW }), { minLength: 97, maxLength: 97 }),
        (day, late) => {
          const warned = simulate(day, (k) => late[k] ?? 0);
          const expected = covered(day);
          expect([...warned.keys()].sort()).toEqual([...expected].sort());
          for (const count of warned.values()) expect(count).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hold at the shortest warnBefore the configuration accepts: period plus flexible window', () => {
    const shortest = PERIOD + flexibleWindowMs(PERIOD);
    expect(
      tenantProblems(resolveTenant({ warnBefore: formatDuration(shortest) })).map(([key]) => key),
    ).toEqual([]);
    expect(
      tenantProblems(resolveTenant({ warnBefore: formatDuration(shortest - MINUTE) })),
    ).toEqual([['warnBefore', expect.stringMatching(/at least the schedule's period plus/)]]);
    fc.assert(
      fc.property(
        jobs,
        fc.array(fc.integer({ min: 0, max: FLEXIBLE_WINDOW }), { minLength: 97, maxLength: 97 }),
        (day, late) => {
          const warned = simulate(
            day,
            (k) => late[k] ?? 0,
            () => false,
            shortest,
          );
          expect([...warned.keys()].sort()).toEqual([...covered(day, shortest)].sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('warn each job at most once when runs are skipped', () => {
    fc.assert(
      fc.property(
        jobs,
        fc.uniqueArray(fc.integer({ min: 1, max: 96 }), { maxLength: 20 }),
        (day, skips) => {
          const warned = simulate(
            day,
            () => 0,
            (k) => skips.includes(k),
          );
          for (const count of warned.values()) expect(count).toBe(1);
          for (const id of warned.keys()) expect(covered(day)).toContain(id);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never warn a protected job or one that is already stale', () => {
    const scheduledAt = DAY_START + 40 * PERIOD;
    const window = { scheduledAt, periodMs: PERIOD, warnBeforeMs: WARN_BEFORE };
    const crossingNow = new Date(scheduledAt - 2 * MINUTE - 90 * MINUTE).toISOString();
    const base = {
      id: crypto.randomUUID(),
      queryStatus: 'accepted' as const,
      query: 'select 1',
      createdBy: 'alice',
    };

    expect(
      warningDue({ ...base, updatedOn: crossingNow }, scheduledAt, rules, window),
    ).toBeDefined();
    expect(
      warningDue({ ...base, updatedOn: crossingNow, createdBy: 'svc' }, scheduledAt, rules, window),
    ).toBeUndefined();
    expect(
      warningDue(
        { ...base, updatedOn: new Date(scheduledAt - 3 * 60 * MINUTE).toISOString() },
        scheduledAt,
        rules,
        window,
      ),
    ).toBeUndefined();
    expect(
      warningDue({ ...base, updatedOn: 'Nov 28' }, scheduledAt, rules, window),
    ).toBeUndefined();
  });
});
