/**
 * The protect pattern, evaluated so that no pattern can stall a run. Query text comes from any
 * user of the tenant, and a backtracking pattern such as `^(a+)+$` takes exponential time on the
 * wrong input: each test runs in a `node:vm` context with a timeout, and a test that times out
 * is an answer the janitor cannot use, so the job is protected. A timeout is also spent once per
 * run, not once per job ({@link forOneRun}): the same pattern on a thousand such queries would
 * otherwise hold a run for a minute, far past its deadline.
 *
 * Chosen over a linear-time engine (re2js) because that adds about 150 KB to each function
 * bundle, a third of its budget; patterns keep JavaScript semantics, and the construct and the
 * CLI warn about the ones RE2 could not express (backreferences, lookaround), where catastrophic
 * backtracking usually lives.
 */
import { createHash } from 'node:crypto';
import vm from 'node:vm';

/** Longest a single pattern test may run. */
export const PATTERN_TIMEOUT_MS = 50;

/** A compiled protect pattern. */
export interface QueryMatcher {
  readonly source: string;
  /** True or false, or undefined when the test could not finish in time (or was not run). */
  test(text: string): boolean | undefined;
  /**
   * True once the run has spent its timeouts on this pattern ({@link forOneRun}): later tests
   * are not run and answer undefined. Undefined for a matcher shared across runs.
   */
  readonly spent?: boolean | undefined;
}

const MEMO_LIMIT = 1_000;

/** Compiles `source` (a valid JavaScript regular expression, validated beforehand). */
export function compileQueryMatcher(source: string, timeoutMs = PATTERN_TIMEOUT_MS): QueryMatcher {
  const context = vm.createContext({ pattern: new RegExp(source), text: '' });
  const script = new vm.Script('pattern.test(text)');
  // Verdicts by query hash: the same query is listed, then re-read before its cancel.
  const memo = new Map<string, boolean>();
  return {
    source,
    test(text) {
      const key = createHash('sha256').update(text).digest('base64');
      const known = memo.get(key);
      if (known !== undefined) return known;
      context.text = text;
      let verdict: boolean;
      try {
        verdict = script.runInContext(context, { timeout: timeoutMs }) === true;
      } catch {
        return undefined;
      } finally {
        context.text = '';
      }
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, verdict);
      return verdict;
    },
  };
}

/**
 * Timeouts one run may spend on the protect pattern: about a second of its time. Enough that a
 * few pathological queries hold only their own jobs; a flood of them cannot stall the run.
 */
export const PATTERN_TIMEOUTS_PER_RUN = 20;

/**
 * `matcher` as one run uses it. A query whose test timed out is not tested again in the run (it
 * stays undecided), and the run spends at most `budget` timeouts: after that, no test is run again
 * in this run (each answers undefined at once, and `spent` says why), and `onSpent` is called,
 * once. The compiled matcher is shared by the runs of a warm process, so what a run spent is
 * remembered here, per run, not there.
 */
export function forOneRun(
  matcher: QueryMatcher,
  onSpent?: () => void,
  budget = PATTERN_TIMEOUTS_PER_RUN,
): QueryMatcher {
  const timedOut = new Set<string>();
  return {
    source: matcher.source,
    get spent() {
      return timedOut.size >= budget;
    },
    test(text) {
      if (timedOut.size >= budget || timedOut.has(text)) return undefined;
      const verdict = matcher.test(text);
      if (verdict === undefined) {
        timedOut.add(text);
        if (timedOut.size === budget) onSpent?.();
      }
      return verdict;
    },
  };
}
