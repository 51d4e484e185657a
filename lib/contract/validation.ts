/**
 * Schema validation with zod/mini (a fraction of full zod's bundle) and English messages,
 * formatted as one line that names every problem by its path. Messages describe expected
 * types and limits only; zod never echoes the rejected values, so secrets stay out.
 */

import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { boundedText, looksLikeQuery } from './text.ts';

// Only the English locale: importing 'zod/locales' would bundle every language.
z.config(en());

/** How much of an unknown key a message quotes, and how many keys: the keys come from outside. */
const QUOTED_KEY_LENGTH = 64;
const QUOTED_KEYS = 5;
/** What a key that looks like query text is named as. */
const KEY_WITHHELD = '[key withheld: it may quote query text]';

/**
 * The unknown keys a message names: the first few, each bounded and scrubbed, one that looks like
 * query text withheld (a key can be pasted query text, and the message reaches the logs); and
 * how many more.
 */
function namedKeys(keys: readonly string[]): { named: string[]; more: number } {
  const named = keys
    .slice(0, QUOTED_KEYS)
    .map((key) => (looksLikeQuery(key) ? KEY_WITHHELD : boundedText(key, QUOTED_KEY_LENGTH)));
  return { named, more: keys.length - named.length };
}

/** Unknown keys as a message quotes them: `"a", "b" and 3 more`. */
function quotedKeys(keys: readonly string[]): string {
  const { named, more } = namedKeys(keys);
  const quoted = named.map((key) => JSON.stringify(key)).join(', ');
  return more > 0 ? `${quoted} and ${more} more` : quoted;
}

/** How {@link describeIssues} treats the unknown keys it reports. */
export interface DescribeOptions {
  /**
   * Count unknown keys without quoting them: for a secret, whose keys may be secret text
   * (a value pasted into the key column of the console).
   */
  readonly hideUnknownKeys?: boolean;
}

/** One line naming each issue: `detail.jobIds[2]: must be a UUID; detail: Unrecognized key: "x"`. */
export function describeIssues(error: z.core.$ZodError, options: DescribeOptions = {}): string {
  return error.issues
    .map((issue) => {
      const path = nameByKey(issue.path);
      // zod quotes unknown keys whole; they are the one part of a message sent from outside.
      const message =
        issue.code === 'unrecognized_keys'
          ? options.hideUnknownKeys
            ? `${issue.keys.length} unrecognized key${issue.keys.length > 1 ? 's' : ''} (not quoted; only the known keys are allowed)`
            : `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${quotedKeys(issue.keys)}`
          : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

/** Parses `value` with `schema`, throwing `makeError(description)` on the first failure. */
export function parseWith<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  makeError: (description: string) => Error,
  options?: DescribeOptions,
): z.output<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) throw makeError(describeIssues(result.error, options));
  return result.data;
}

/**
 * Builds a schema (or a shape of schemas) on first use, then shares it. zod constructs its
 * internals eagerly and each instance costs: schemas built at import, or built again for each
 * key and caller that uses them, would add milliseconds to every cold start.
 */
export function lazySchema<S>(build: () => S): () => S {
  let schema: S | undefined;
  return () => {
    schema ??= build();
    return schema;
  };
}

/** How a source names a setting in messages, from the issue's path (`['tenants', 2, 'x']`). */
export type SettingNamer = (path: readonly PropertyKey[]) => string;

/** Names settings by key and index, as the construct and the configuration file spell them. */
export const nameByKey: SettingNamer = (path) =>
  path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');

/** One problem as a line: `<name> <what is wrong>`. */
export function describeProblems(error: z.core.$ZodError, name: SettingNamer): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, named by its full path: a typo is found where it is. A few
      // keys, each bounded and scrubbed, since a file can hold anything.
      const { named, more } = namedKeys(issue.keys);
      const lines = named.map((key) => `${name([...issue.path, key])} is not a known key`);
      return more > 0 ? [...lines, `${more} more unknown keys`] : lines;
    }
    const label = issue.path.length > 0 ? name(issue.path) : '';
    return [label ? `${label} ${issue.message}` : issue.message];
  });
}
