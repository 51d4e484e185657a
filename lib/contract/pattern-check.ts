/**
 * A warning for protect patterns RE2 cannot express (backreferences, lookaround): the features
 * that make a regular expression backtrack catastrophically. The functions still evaluate them,
 * under a time limit (a job whose check times out is protected); the construct and the CLI say
 * so before a deployment depends on it. Used at synth and by the CLI only, never in a bundle.
 */
import { RE2JS } from 're2js';

/** Why RE2 cannot express `pattern`, or undefined when it can. */
export function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : '';
    return `protectQueryPattern uses what a linear-time engine (RE2) cannot express (${detail.slice(0, 120)}): it may backtrack catastrophically on some queries, and each job whose check takes too long (over 50 ms) is protected rather than judged`;
  }
}
