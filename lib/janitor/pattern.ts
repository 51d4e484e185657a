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
   * True once a test has timed out in this run ({@link forOneRun}): later tests are not run and
   * answer undefined. Undefined for a matcher shared across runs.
   */
  readonly timedOut?: boolean | undefined;
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
 * `matcher` as one run uses it: the run spends at most one timeout on it. After its first test
 * that times out, no test is run again in this run (each answers undefined at once, and
 * `timedOut` says why), and `onTimeout` is called, once. The compiled matcher is shared by the
 * runs of a warm process, so the timeout is remembered here, per run, not there.
 */
export function forOneRun(matcher: QueryMatcher, onTimeout?: () => void): QueryMatcher {
  let timedOut = false;
  return {
    source: matcher.source,
    get timedOut() {
      return timedOut;
    },
    test(text) {
      if (timedOut) return undefined;
      const verdict = matcher.test(text);
      if (verdict === undefined) {
        timedOut = true;
        onTimeout?.();
      }
      return verdict;
    },
  };
}
