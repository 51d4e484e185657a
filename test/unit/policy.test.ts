import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobText } from '../../lib/janitor/job-text.ts';
import {
  compileQueryMatcher,
  forOneRun,
  PATTERN_TIMEOUTS_PER_RUN,
  type QueryMatcher,
} from '../../lib/janitor/pattern.ts';
import { planSweep } from '../../lib/janitor/plan.ts';
import {
  ageSeconds,
  isStale,
  oldestFirst,
  PATTERN_SPENT,
  type PolicyRules,
  protectionReason,
  recheck,
  staleReason,
  unjudgedStatusReason,
  unreadableDateReason,
  warningDue,
} from '../../lib/janitor/policy.ts';
import { QUERY_STATUSES, type QueryJob } from '../../lib/zuora/model.ts';
import { Redactor, WITHHELD } from '../../lib/zuora/redact.ts';
import { SECRET_CANARY } from '../support/canaries.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const HOUR = 3_600_000;
const rules: PolicyRules = {
  staleAfterMs: { accepted: 2 * HOUR, in_progress: 2 * HOUR },
  protectCreatedBy: ['svc'],
  protectQueryPattern: compileQueryMatcher('nightly'),
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

  it('is false when the date cannot be read, and the age is then unknown', () => {
    const unreadable = job({ updatedOn: 'Nov 28' });

    expect(isStale(unreadable, NOW, rules)).toBe(false);
    expect(ageSeconds(unreadable, NOW)).toBeNull();
  });

  it('reads a date without an offset in the given time zone, never the machine one', () => {
    const local = job({ updatedOn: '2026-11-28T06:30:00' });

    expect(ageSeconds(local, NOW)).toBe(5.5 * 3_600);
    // 06:30 in New York in November (UTC-5) is 11:30 UTC.
    expect(ageSeconds(local, NOW, 'America/New_York')).toBe(1_800);
  });
});

describe('protectionReason', () => {
  it('protects listed users, matching queries, and everyone outside the only-list', () => {
    expect(protectionReason(job({ createdBy: 'svc' }), rules)).toBe(
      'createdBy is in protectCreatedBy',
    );
    expect(protectionReason(job({ query: 'select /* nightly */ 1' }), rules)).toBe(
      'query matches protectQueryPattern',
    );
    expect(
      protectionReason(job({ createdBy: 'bob' }), { ...rules, onlyCreatedBy: ['alice'] }),
    ).toBe('createdBy is not in onlyCreatedBy');
    expect(protectionReason(job({}), rules)).toBeUndefined();
  });

  it('compares user ids case-insensitively', () => {
    expect(protectionReason(job({ createdBy: 'SVC' }), rules)).toMatch(/protectCreatedBy/);
    expect(
      protectionReason(job({ createdBy: 'Alice' }), { ...rules, onlyCreatedBy: ['alice'] }),
    ).toBeUndefined();
  });

  it.each([
    [{ query: undefined }, 'query is missing, so protectQueryPattern cannot be checked'],
    [{ query: null }, 'query is missing, so protectQueryPattern cannot be checked'],
    [{ createdBy: undefined }, 'createdBy is missing, so protectCreatedBy cannot be checked'],
    [{ createdBy: null }, 'createdBy is missing, so protectCreatedBy cannot be checked'],
    [
      { createdBy: 'svc\u200b' },
      'createdBy is not a plain id, so protectCreatedBy cannot be checked',
    ],
  ] as Array<[Partial<QueryJob>, string]>)(
    'protects a job it cannot judge (%j)',
    (fields, reason) => {
      expect(protectionReason(job(fields), rules)).toBe(reason);
    },
  );

  it('protects a job whose query the pattern cannot finish on', () => {
    const slow = { ...rules, protectQueryPattern: compileQueryMatcher('^(a+)+$', 20) };

    expect(protectionReason(job({ query: `${'a'.repeat(40)}b` }), slow)).toBe(
      'protectQueryPattern did not finish on this query in time',
    );
  });

  it('needs no owner or query when no rule asks for them', () => {
    const open = { ...rules, protectCreatedBy: [], protectQueryPattern: undefined };

    expect(protectionReason(job({ createdBy: null, query: null }), open)).toBeUndefined();
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

  it('holds a running job with an unreadable date as protected, with the reason', () => {
    const unreadable = job({ updatedOn: '1' });

    const plan = planSweep([unreadable], { now: NOW, rules, maxCancels: 5, dryRun: false });

    expect(plan.protected).toEqual([
      { job: unreadable, reason: 'updatedOn "1" is not an ISO 8601 date-time: age unknown' },
    ]);
  });

  it('holds a job whose status Zuora does not document as protected, whatever its age', () => {
    const odd = [
      job({ queryStatus: 'Accepted', ageHours: 9 }),
      job({ queryStatus: 'IN_PROGRESS', ageHours: 0 }),
      job({ queryStatus: 'queued', updatedOn: null }),
    ];

    const plan = planSweep(odd, { now: NOW, rules, maxCancels: 5, dryRun: true });

    expect(plan.protected).toEqual([
      { job: odd[0], reason: 'status "Accepted" is not one Zuora documents: not judged' },
      { job: odd[1], reason: 'status "IN_PROGRESS" is not one Zuora documents: not judged' },
      { job: odd[2], reason: 'status "queued" is not one Zuora documents: not judged' },
    ]);
    expect(plan.toCancel).toEqual([]);
    expect(plan.fresh).toEqual([]);
  });
});

describe('recheck', () => {
  it('refuses a job that finished, is protected, or (for sweeps) got fresh', () => {
    const sweep = { now: NOW, rules, requireStale: true };
    const request = { now: NOW, rules, requireStale: false };

    expect(recheck(job({ queryStatus: 'completed' }), request).verdict).toBe('already-finished');
    expect(recheck(job({ createdBy: 'svc' }), request).verdict).toBe('protected');
    expect(recheck(job({ ageHours: 0 }), sweep).verdict).toBe('no-longer-stale');
    expect(recheck(job({ ageHours: 0 }), request)).toEqual({
      verdict: 'eligible',
      reason: 'requested',
    });
    expect(recheck(job({ ageHours: 3 }), sweep)).toEqual({
      verdict: 'eligible',
      reason: 'stale: accepted for 3h, over 2h',
    });
  });

  it('holds a job whose status Zuora does not document, named or listed', () => {
    for (const requireStale of [true, false]) {
      expect(recheck(job({ queryStatus: 'queued' }), { now: NOW, rules, requireStale })).toEqual({
        verdict: 'protected',
        reason: 'status "queued" is not one Zuora documents: not judged',
      });
    }
  });

  it('leaves a job still submitted for later, named or listed: it has not finished', () => {
    for (const requireStale of [true, false]) {
      expect(recheck(job({ queryStatus: 'submitted' }), { now: NOW, rules, requireStale })).toEqual(
        {
          verdict: 'not-yet-accepted',
          reason: 'submitted when read before the cancel: Zuora has not accepted it yet; ask again',
        },
      );
    }
  });

  it('never lets a named job through whose date cannot be read', () => {
    expect(
      recheck(job({ updatedOn: null }), { now: NOW, rules, requireStale: false }).verdict,
    ).toBe('protected');
  });
});

describe('staleReason and oldestFirst', () => {
  it('say how old a job is against its threshold, and sort unreadable dates last', () => {
    const old = job({ ageHours: 30 });
    const unreadable = job({ updatedOn: 'x' });
    const young = job({ ageHours: 3 });

    expect(staleReason(old, NOW, rules)).toBe('stale: accepted for 1d6h, over 2h');
    expect([young, unreadable, old].sort(oldestFirst()).map((j) => j.id)).toEqual([
      old.id,
      young.id,
      unreadable.id,
    ]);
  });
});

describe('planSweep properties', () => {
  const dates = fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .integer({ min: 0, max: 48 * HOUR })
        .map((age) => new Date(NOW - age).toISOString()),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        null,
        undefined,
        '',
        '1',
        'Nov 28',
        '2026-02-30T00:00:00Z',
        '2026-11-28T10:00:00',
        '0001-01-01T00:00:00Z',
      ),
    },
  );
  const arbitraryJob = fc.record({
    id: fc.uuid(),
    queryStatus: fc.constantFrom(...QUERY_STATUSES),
    updatedOn: dates,
    createdBy: fc.constantFrom('alice', 'ALICE', 'bob', 'svc', 'Svc', 'carol', null, undefined),
    query: fc.constantFrom('select 1', 'select /* nightly */ 2', 'select 3', null, undefined),
  });
  const arbitraryRules = fc.record({
    staleAfterMs: fc.record({
      accepted: fc.integer({ min: 5 * 60_000, max: 24 * HOUR }),
      in_progress: fc.integer({ min: 5 * 60_000, max: 24 * HOUR }),
    }),
    protectCreatedBy: fc.subarray(['alice', 'bob', 'svc', 'carol']),
    protectQueryPattern: fc.constantFrom(undefined, compileQueryMatcher('nightly')),
    onlyCreatedBy: fc.subarray(['alice', 'bob', 'svc', 'carol']),
  });

  /** An independent statement of the rule: when may a listed job be cancelled? */
  function mayCancel(candidate: QueryJob, policy: PolicyRules): boolean {
    if (candidate.queryStatus !== 'accepted' && candidate.queryStatus !== 'in_progress')
      return false;
    const text = candidate.updatedOn;
    if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z)?$/.test(text))
      return false;
    const at = Date.parse(text.endsWith('Z') ? text : `${text}Z`);
    if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== text.slice(0, 10)) {
      return false;
    }
    if (text.startsWith('0001')) return false;
    if (NOW - at <= policy.staleAfterMs[candidate.queryStatus]) return false;
    const owner = candidate.createdBy?.toLowerCase();
    const ownerRules = policy.protectCreatedBy.length + policy.onlyCreatedBy.length > 0;
    if (ownerRules && !owner) return false;
    if (owner && policy.protectCreatedBy.includes(owner)) return false;
    if (policy.onlyCreatedBy.length > 0 && !policy.onlyCreatedBy.includes(owner as string)) {
      return false;
    }
    if (policy.protectQueryPattern) {
      if (typeof candidate.query !== 'string') return false;
      if (/nightly/.test(candidate.query)) return false;
    }
    return true;
  }

  it('only ever plans to cancel jobs it can judge eligible, oldest first, within the cap', () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryJob, { maxLength: 60 }),
        arbitraryRules,
        fc.integer({ min: 0, max: 30 }),
        fc.boolean(),
        (jobs, policy, maxCancels, dryRun) => {
          const plan = planSweep(jobs, { now: NOW, rules: policy, maxCancels, dryRun });
          const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
          const eligible = new Set(unique.filter((j) => mayCancel(j, policy)).map((j) => j.id));
          for (const planned of plan.toCancel) expect(eligible.has(planned.id)).toBe(true);
          if (!dryRun) expect(plan.toCancel.length).toBeLessThanOrEqual(maxCancels);
          const ages = plan.toCancel.map((j) => Date.parse(j.updatedOn as string));
          expect(ages).toEqual([...ages].sort((a, b) => a - b));
          expect(plan.toCancel.length + plan.deferred.length).toBe(eligible.size);
          // Every listed job lands in exactly one bucket.
          expect(
            plan.fresh.length + plan.protected.length + plan.toCancel.length + plan.deferred.length,
          ).toBe(unique.length);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe('the reasons a job is held, in words', () => {
  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
  ])('says an updatedOn that is %s is missing', (_what, updatedOn) => {
    expect(unreadableDateReason({ updatedOn } as QueryJob)).toBe(
      'updatedOn is missing: age unknown',
    );
  });

  it('quotes a status Zuora does not document, bounded, and none it does', () => {
    expect(unjudgedStatusReason({ queryStatus: `queued\u202e${'q'.repeat(100)}` })).toBe(
      `status "queued ${'q'.repeat(32)}…" is not one Zuora documents: not judged`,
    );
    expect(unjudgedStatusReason({ queryStatus: 'submitted' })).toBeUndefined();
    expect(isStale(job({ queryStatus: 'Accepted', ageHours: 9 }), NOW, rules)).toBe(false);
  });

  it('quotes an unreadable updatedOn, bounded', () => {
    expect(unreadableDateReason({ updatedOn: 'Nov 28' })).toBe(
      'updatedOn "Nov 28" is not an ISO 8601 date-time: age unknown',
    );
    expect(unreadableDateReason({ updatedOn: '2026-11-28T12:00:00Z' })).toBeUndefined();
  });

  it('quotes an unreadable updatedOn as the run scrubs it: no secret, token or query text', () => {
    const redactor = new Redactor();
    redactor.addSecret(SECRET_CANARY);
    const scrubbed = { ...rules, quote: jobText(redactor) };

    expect(unreadableDateReason({ updatedOn: SECRET_CANARY }, scrubbed)).toBe(
      'updatedOn "[redacted]" is not an ISO 8601 date-time: age unknown',
    );
    expect(
      recheck(job({ updatedOn: 'select ssn from contact' }), {
        now: NOW,
        rules: scrubbed,
        requireStale: false,
      }),
    ).toEqual({
      verdict: 'protected',
      reason: `updatedOn "${WITHHELD}" is not an ISO 8601 date-time: age unknown`,
    });
    const short = 'ssn 078 /+=%';
    expect(
      planSweep([job({ query: short, updatedOn: short })], {
        now: NOW,
        rules: scrubbed,
        maxCancels: 1,
        dryRun: false,
      }).protected[0]?.reason,
    ).toBe(`updatedOn "${WITHHELD}" is not an ISO 8601 date-time: age unknown`);
  });

  it('names the owner rule that cannot be checked', () => {
    const onlyRule = { ...rules, protectCreatedBy: [], onlyCreatedBy: ['alice'] };

    expect(protectionReason(job({ createdBy: undefined }), onlyRule)).toBe(
      'createdBy is missing, so onlyCreatedBy cannot be checked',
    );
    expect(protectionReason(job({ createdBy: undefined }), rules)).toBe(
      'createdBy is missing, so protectCreatedBy cannot be checked',
    );
    // An owner the only-rule names is neither protected nor held.
    expect(protectionReason(job({ createdBy: 'ALICE', query: 'x' }), onlyRule)).toBeUndefined();
  });

  it('says what a finished job was when it was read', () => {
    expect(
      recheck(job({ queryStatus: 'completed' }), { now: NOW, rules, requireStale: true }),
    ).toEqual({ verdict: 'already-finished', reason: 'completed when read before the cancel' });
  });

  it('holds a job chosen under pressure that is, re-read, exactly at the pressure threshold', () => {
    const atThreshold = job({ ageHours: 0.5 });
    const pressure = { thresholdMs: HOUR / 2, reason: 'pressure: test' };

    expect(recheck(atThreshold, { now: NOW, rules, requireStale: true, pressure }).verdict).toBe(
      'no-longer-stale',
    );
    expect(
      recheck(atThreshold, { now: NOW + 1, rules, requireStale: true, pressure }).verdict,
    ).toBe('eligible');
  });

  it('orders jobs of the same age, and jobs of no known age, by id', () => {
    const sameAge = [
      job({ id: 'b', ageHours: 3 }),
      job({ id: 'a', ageHours: 3 }),
      job({ id: 'd', updatedOn: 'x' }),
      job({ id: 'c', updatedOn: 'y' }),
      job({ id: 'e', ageHours: 4 }),
    ];

    expect(sameAge.sort(oldestFirst()).map((j) => j.id)).toEqual(['e', 'a', 'b', 'c', 'd']);
  });
});

describe('warningDue', () => {
  const window = { scheduledAt: NOW, periodMs: HOUR / 4, warnBeforeMs: HOUR / 2 };
  // Stale at 2h, warned 30m before: when an age of 1h30m falls in (NOW − 15m, NOW], that is
  // for jobs aged at least 90 and under 105 minutes now.
  const agedMinutes = (minutes: number, fields: Partial<QueryJob> = {}) =>
    job({ ageHours: minutes / 60, ...fields });

  it('warns a job whose warning age falls in the window, its end included and its start not', () => {
    expect(warningDue(agedMinutes(90), NOW, rules, window)).toBe(NOW + 30 * 60_000);
    expect(warningDue(agedMinutes(104), NOW, rules, window)).toBe(NOW + 16 * 60_000);
    expect(warningDue(agedMinutes(105), NOW, rules, window)).toBeUndefined();
    expect(warningDue(agedMinutes(89), NOW, rules, window)).toBeUndefined();
  });

  it('never warns a job that is finished, unreadable, protected or already stale', () => {
    expect(
      warningDue(agedMinutes(95, { queryStatus: 'completed' }), NOW, rules, window),
    ).toBeUndefined();
    expect(warningDue(job({ updatedOn: 'x' }), NOW, rules, window)).toBeUndefined();
    expect(warningDue(agedMinutes(95, { createdBy: 'svc' }), NOW, rules, window)).toBeUndefined();
    expect(warningDue(agedMinutes(130), NOW, rules, window)).toBeUndefined();
  });
});

describe('a protect pattern that times out spends a bounded time per run', () => {
  const SLOW_QUERY = `${'a'.repeat(40)}!`;

  /** The catastrophic pattern, counting the tests it really runs. */
  function slowPattern() {
    const compiled = compileQueryMatcher('^(a+)+$', 20);
    const counted = {
      runs: 0,
      source: compiled.source,
      test(text: string) {
        counted.runs++;
        return compiled.test(text);
      },
    };
    return counted;
  }

  function oneRun(pattern: QueryMatcher, budget?: number) {
    const warnings: string[] = [];
    const matcher = forOneRun(pattern, () => warnings.push('spent'), budget);
    return { rules: { ...rules, protectCreatedBy: [], protectQueryPattern: matcher }, warnings };
  }
  const FIRST = 'protectQueryPattern did not finish on this query in time';

  it('tests a query that timed out only once, and the other queries as usual', () => {
    const pattern = slowPattern();
    const { rules: run, warnings } = oneRun(pattern);
    const jobs = [
      job({ query: SLOW_QUERY }),
      job({ query: SLOW_QUERY }),
      job({ query: 'select 1' }),
      job({ query: 'nightly select 2' }),
    ];

    // One pathological query holds its own jobs, not the others.
    expect(jobs.map((held) => protectionReason(held, run))).toEqual([
      FIRST,
      FIRST,
      undefined,
      undefined,
    ]);
    expect(pattern.runs).toBe(3);
    expect(warnings).toEqual([]);
    expect(run.protectQueryPattern.spent).toBe(false);
  });

  it('stops testing once the run has spent its timeouts, and says so once', () => {
    const pattern = slowPattern();
    const { rules: run, warnings } = oneRun(pattern, 2);
    const jobs = [
      job({ query: `${SLOW_QUERY}1` }),
      job({ query: 'select 1' }),
      job({ query: `${SLOW_QUERY}2` }),
      job({ query: 'select 2' }),
      job({ query: `${SLOW_QUERY}3` }),
    ];

    expect(jobs.map((held) => protectionReason(held, run))).toEqual([
      FIRST,
      undefined,
      FIRST,
      PATTERN_SPENT,
      PATTERN_SPENT,
    ]);
    expect(pattern.runs).toBe(3);
    expect(warnings).toEqual(['spent']);
    expect(run.protectQueryPattern.spent).toBe(true);
  });

  it(`plans hundreds of such jobs with at most ${PATTERN_TIMEOUTS_PER_RUN} timeouts: every one protected, each counted once`, () => {
    const pattern = slowPattern();
    const { rules: run } = oneRun(pattern);
    const jobs = Array.from({ length: 600 }, (_, i) =>
      job({ query: `${SLOW_QUERY}${i}`, ageHours: 3 + i / 100 }),
    );
    jobs.push(job({ query: 'select 1', ageHours: 2.5 }));

    const plan = planSweep(jobs, { now: NOW, rules: run, maxCancels: 25, dryRun: false });

    expect(pattern.runs).toBe(PATTERN_TIMEOUTS_PER_RUN);
    expect(plan.toCancel).toEqual([]);
    expect(plan.deferred).toEqual([]);
    expect(plan.protected).toHaveLength(jobs.length);
    const reasons = plan.protected.map((held) => held.reason);
    expect(reasons.filter((reason) => reason === FIRST)).toHaveLength(PATTERN_TIMEOUTS_PER_RUN);
    expect(reasons.filter((reason) => reason === PATTERN_SPENT)).toHaveLength(
      jobs.length - PATTERN_TIMEOUTS_PER_RUN,
    );
  });

  it('runs the pattern again in the next run, and does not stop one that answers', () => {
    const pattern = slowPattern();
    const first = oneRun(pattern);
    protectionReason(job({ query: SLOW_QUERY }), first.rules);
    const next = oneRun(pattern);

    expect(protectionReason(job({ query: SLOW_QUERY }), next.rules)).toBe(
      'protectQueryPattern did not finish on this query in time',
    );
    expect(pattern.runs).toBe(2);

    const quick = oneRun(compileQueryMatcher('nightly'));
    expect(protectionReason(job({ query: 'nightly' }), quick.rules)).toBe(
      'query matches protectQueryPattern',
    );
    expect(protectionReason(job({ query: 'select 1' }), quick.rules)).toBeUndefined();
    expect(quick.warnings).toEqual([]);
  });

  it('is not run for a job that is not due a warning', () => {
    const pattern = slowPattern();
    const { rules: run } = oneRun(pattern);
    const window = { scheduledAt: NOW, periodMs: HOUR / 4, warnBeforeMs: HOUR / 2 };

    // Ten minutes old: far from its warning age.
    expect(warningDue(job({ query: SLOW_QUERY, ageHours: 1 / 6 }), NOW, run, window)).toBe(
      undefined,
    );
    expect(pattern.runs).toBe(0);
  });
});
