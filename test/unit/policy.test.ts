import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isStale,
  type PolicyRules,
  planSweep,
  protectionReason,
  recheck,
} from '../../lib/janitor/policy.ts';
import { QUERY_STATUSES, type QueryJob } from '../../lib/zuora/model.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const HOUR = 3_600_000;
const rules: PolicyRules = {
  staleAfterMs: { accepted: 2 * HOUR, in_progress: 2 * HOUR },
  protectCreatedBy: ['svc'],
  protectQueryPattern: /nightly/,
  onlyCreatedBy: [],
};

function job(fields: Partial<QueryJob> & { ageHours?: number }): QueryJob {
  const { ageHours = 3, ...rest } = fields;
  return {
    id: crypto.randomUUID(),
    queryStatus: 'accepted',
    updatedOn: new Date(NOW - ageHours * HOUR).toISOString(),
    createdBy: 'alice',
    query: 'select 1',
    ...rest,
  };
}

describe('isStale', () => {
  it("is true only past the threshold of the job's status", () => {
    const strict = { staleAfterMs: { accepted: HOUR, in_progress: 3 * HOUR } };

    expect(isStale(job({ ageHours: 2, queryStatus: 'accepted' }), NOW, strict)).toBe(true);
    expect(isStale(job({ ageHours: 2, queryStatus: 'in_progress' }), NOW, strict)).toBe(false);
    expect(isStale(job({ ageHours: 1, queryStatus: 'accepted' }), NOW, strict)).toBe(false);
  });

  it.each(['submitted', 'completed', 'failed', 'cancelled'] as const)(
    'is false for a %s job of any age',
    (status) => {
      expect(isStale(job({ ageHours: 1000, queryStatus: status }), NOW, rules)).toBe(false);
    },
  );
});

describe('protectionReason', () => {
  it('protects listed users, matching queries, and everyone outside the only-list', () => {
    expect(protectionReason(job({ createdBy: 'svc' }), rules)).toBe('createdBy is protected');
    expect(protectionReason(job({ query: 'select /* nightly */ 1' }), rules)).toMatch(/PATTERN/);
    expect(
      protectionReason(job({ createdBy: 'bob' }), { ...rules, onlyCreatedBy: ['alice'] }),
    ).toMatch(/ONLY/);
    expect(protectionReason(job({}), rules)).toBeUndefined();
  });

  it('gives the same answer for every job with a global pattern', () => {
    const global = { ...rules, protectQueryPattern: /nightly/g };
    const a = job({ query: 'nightly' });

    expect([protectionReason(a, global), protectionReason(a, global)]).toEqual([
      expect.any(String),
      expect.any(String),
    ]);
  });
});

describe('planSweep', () => {
  it('orders oldest first and defers past the cap', () => {
    const jobs = [job({ ageHours: 3 }), job({ ageHours: 9 }), job({ ageHours: 5 })];

    const plan = planSweep(jobs, { now: NOW, rules, maxCancels: 2, dryRun: false });

    expect(plan.toCancel.map((j) => j.id)).toEqual([jobs[1]?.id, jobs[2]?.id]);
    expect(plan.deferred.map((j) => j.id)).toEqual([jobs[0]?.id]);
  });

  it('ignores the cap in dry-run', () => {
    const jobs = [job({}), job({}), job({})];

    const plan = planSweep(jobs, { now: NOW, rules, maxCancels: 1, dryRun: true });

    expect(plan.toCancel).toHaveLength(3);
    expect(plan.deferred).toEqual([]);
  });

  it('counts a job listed twice once', () => {
    const twice = job({});

    const plan = planSweep([twice, twice], { now: NOW, rules, maxCancels: 5, dryRun: false });

    expect(plan.toCancel).toHaveLength(1);
  });
});

describe('recheck', () => {
  it('refuses a job that finished, is protected, or (for sweeps) got fresh', () => {
    expect(
      recheck(job({ queryStatus: 'completed' }), { now: NOW, rules, requireStale: false }),
    ).toBe('already-finished');
    expect(recheck(job({ createdBy: 'svc' }), { now: NOW, rules, requireStale: false })).toBe(
      'protected',
    );
    expect(recheck(job({ ageHours: 0 }), { now: NOW, rules, requireStale: true })).toBe(
      'no-longer-stale',
    );
    expect(recheck(job({ ageHours: 0 }), { now: NOW, rules, requireStale: false })).toBe(
      'eligible',
    );
  });
});

describe('planSweep properties', () => {
  const arbitraryJob = fc.record({
    id: fc.uuid(),
    queryStatus: fc.constantFrom(...QUERY_STATUSES),
    updatedOn: fc
      .integer({ min: 0, max: 48 * HOUR })
      .map((age) => new Date(NOW - age).toISOString()),
    createdBy: fc.constantFrom('alice', 'bob', 'svc', 'carol'),
    query: fc.constantFrom('select 1', 'select /* nightly */ 2', 'select 3'),
  });
  const arbitraryRules = fc.record({
    staleAfterMs: fc.record({
      accepted: fc.integer({ min: 5 * 60_000, max: 24 * HOUR }),
      in_progress: fc.integer({ min: 5 * 60_000, max: 24 * HOUR }),
    }),
    protectCreatedBy: fc.subarray(['alice', 'bob', 'svc', 'carol']),
    protectQueryPattern: fc.constantFrom(undefined, /nightly/),
    onlyCreatedBy: fc.subarray(['alice', 'bob', 'svc', 'carol']),
  });

  it('only ever plans to cancel eligible jobs, oldest first, within the cap', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryJob, { maxLength: 60 }),
        arbitraryRules,
        fc.integer({ min: 0, max: 30 }),
        fc.boolean(),
        (jobs, policy, maxCancels, dryRun) => {
          const plan = planSweep(jobs, { now: NOW, rules: policy, maxCancels, dryRun });
          const eligible = new Set(
            jobs
              .filter((j) => j.queryStatus === 'accepted' || j.queryStatus === 'in_progress')
              .filter(
                (j) =>
                  NOW - Date.parse(j.updatedOn) > policy.staleAfterMs[j.queryStatus as 'accepted'],
              )
              .filter((j) => !policy.protectCreatedBy.includes(j.createdBy))
              .filter(
                (j) =>
                  policy.onlyCreatedBy.length === 0 || policy.onlyCreatedBy.includes(j.createdBy),
              )
              .filter((j) => !(policy.protectQueryPattern?.test(j.query) ?? false))
              .map((j) => j.id),
          );
          for (const planned of plan.toCancel) expect(eligible.has(planned.id)).toBe(true);
          if (!dryRun) expect(plan.toCancel.length).toBeLessThanOrEqual(maxCancels);
          const ages = plan.toCancel.map((j) => Date.parse(j.updatedOn));
          expect(ages).toEqual([...ages].sort((a, b) => a - b));
          expect(plan.toCancel.length + plan.deferred.length).toBe(new Set([...eligible]).size);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
