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
import { WITHHELD } from '../../lib/zuora/redact.ts';

describe('jobText', () => {
  const text = jobText();

  it('withholds a field containing the query from six characters on, and not shorter ones', () => {
    expect(text({ query: 'abcdef' }, 'owner abcdef', 64)).toBe(WITHHELD);
    expect(text({ query: 'abcde' }, 'owner abcde', 64)).toBe('owner abcde');
    // Equal is withheld whatever the length.
    expect(text({ query: 'abc' }, 'ABC', 64)).toBe(WITHHELD);
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
