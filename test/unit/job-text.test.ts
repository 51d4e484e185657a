/**
 * What a job may show of itself: its fields scrubbed by the run's redactor, and withheld where
 * they show the job's own query. And the protect pattern's time per run, as a run uses it.
 */
import { describe, expect, it } from 'vitest';
import { jobText } from '../../lib/janitor/job-text.ts';
import {
  forOneRun,
  PATTERN_TIMEOUTS_PER_RUN,
  type QueryMatcher,
} from '../../lib/janitor/pattern.ts';
import { Redactor, SECRET_WITHHELD, WITHHELD } from '../../lib/zuora/redact.ts';

describe('jobText', () => {
  const text = jobText();

  it('withholds a field containing the query from six characters on, and not shorter ones', () => {
    expect(text({ query: 'abcdef' }, 'owner abcdef', 64)).toBe(WITHHELD);
    expect(text({ query: 'abcde' }, 'owner abcde', 64)).toBe('owner abcde');
    // Equal is withheld whatever the length.
    expect(text({ query: 'abc' }, 'ABC', 64)).toBe(WITHHELD);
  });

  it('withholds an id that is a token in another case, and shows other ids', () => {
    const token = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
    const redactor = new Redactor();
    redactor.addSecret(token);
    redactor.addQuery(
      "select id from account where createdbyid = '1e2d3c4b-5a69-4788-9a0b-c1d2e3f40516'",
    );
    const scrubbed = jobText(redactor);

    expect(scrubbed({ query: 'q' }, token.toUpperCase(), 64)).toBe(SECRET_WITHHELD);
    expect(scrubbed({ query: 'q' }, token, 64)).toBe('[redacted]');
    // An owner's id is shown even where a query the run read names that owner.
    const owner = '1E2D3C4B-5A69-4788-9A0B-C1D2E3F40516';
    expect(scrubbed({ query: 'q' }, owner, 64)).toBe(owner);
  });

  it('never withholds a field for an empty query, even an empty field', () => {
    expect(text({ query: '' }, '', 64)).toBe('');
    expect(text({ query: ' \n ' }, 'svc', 64)).toBe('svc');
    expect(text({ query: null }, 'svc', 64)).toBe('svc');
  });
});

describe('forOneRun', () => {
  /** A matcher that never finishes, counting its tests. */
  function neverFinishes() {
    const matcher = {
      tests: 0,
      source: 'x',
      test(_text: string) {
        matcher.tests++;
        return undefined;
      },
    };
    return matcher satisfies QueryMatcher;
  }

  it('tests nothing once the budget is spent, and works without a callback', () => {
    const inner = neverFinishes();
    const run = forOneRun(inner, undefined, 2);

    expect(run.test('a')).toBeUndefined();
    expect(run.spent).toBe(false);
    expect(run.test('b')).toBeUndefined();
    expect(run.spent).toBe(true);
    expect(run.test('c')).toBeUndefined();
    expect(inner.tests).toBe(2);
  });

  it(`spends ${PATTERN_TIMEOUTS_PER_RUN} timeouts by default, calling back once`, () => {
    const inner = neverFinishes();
    let calls = 0;
    const run = forOneRun(inner, () => calls++);

    for (let i = 0; i < PATTERN_TIMEOUTS_PER_RUN + 5; i++) run.test(`q${i}`);

    expect(inner.tests).toBe(PATTERN_TIMEOUTS_PER_RUN);
    expect(calls).toBe(1);
  });
});
