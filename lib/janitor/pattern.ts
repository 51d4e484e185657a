/**
 * The protect pattern, evaluated so that no pattern can stall a run. Query text comes from any
 * user of the tenant, and a backtracking pattern such as `^(a+)+$` takes exponential time on the
 * wrong input: each test runs in a `node:vm` context with a timeout, and a test that times out
 * is an answer the janitor cannot use, so the job is protected.
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
  /** True or false, or undefined when the test could not finish in time. */
  test(text: string): boolean | undefined;
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
