/**
 * The one schema for janitor settings. Whoever supplies them (the construct's props at synth,
 * the environment at a function's start-up, the CLI) goes through {@link parseSettings}, so a
 * value is accepted by all of them or by none. Messages name the setting the way its source
 * does (`staleAfter`, `JANITOR_STALE_AFTER`) and never echo a value.
 */
import * as z from 'zod/mini';
import { baseUrlProblem } from './base-url.ts';
import { formatDuration, parseDuration } from './duration.ts';
import {
  CONCURRENCY,
  DEFAULT_STALE_AFTER_MS,
  MAX_CANCELS_PER_RUN,
  MIN_STALE_AFTER_MS,
} from './limits.ts';
import { lazySchema } from './validation.ts';

/** Janitor settings as people write them; every key is optional. */
export interface JanitorSettings {
  /** Secrets Manager secret name or ARN holding the Zuora client credentials. */
  readonly secretId?: string | undefined;
  /** Zuora REST base URL, used when the secret has none. */
  readonly baseUrl?: string | undefined;
  /** Entities to sweep one by one (`Zuora-Entity-Ids`). */
  readonly entityIds?: readonly string[] | undefined;
  /** Sent as `Zuora-Org-Ids`. */
  readonly orgIds?: readonly string[] | undefined;
  /** Report what would be cancelled, cancel nothing. @default true */
  readonly dryRun?: boolean | undefined;
  /** Age past which a job is stale: `90m`, `2h`, `1d`, `PT2H`; at least 5m. @default '2h' */
  readonly staleAfter?: string | undefined;
  /** Overrides `staleAfter` for `accepted` jobs. */
  readonly staleAfterAccepted?: string | undefined;
  /** Overrides `staleAfter` for `in_progress` jobs. */
  readonly staleAfterInProgress?: string | undefined;
  /**
   * Lowest `staleAfter` a sweep event may ask for; events may make a run more careful, never
   * less. @default the smaller of the two thresholds
   */
  readonly eventStaleAfterFloor?: string | undefined;
  /** Cancels per run, oldest first; the rest are deferred. @default 25 */
  readonly maxCancelsPerRun?: number | undefined;
  /** Cancels in flight at once, 1 to 10. @default 4 */
  readonly concurrency?: number | undefined;
  /** User ids whose jobs are never cancelled. */
  readonly protectCreatedBy?: readonly string[] | undefined;
  /** Regular expression; jobs whose query matches are never cancelled. */
  readonly protectQueryPattern?: string | undefined;
  /** When set, only these users' jobs may be cancelled. */
  readonly onlyCreatedBy?: readonly string[] | undefined;
}

/** Settings with defaults applied and durations in milliseconds. */
export interface ResolvedSettings {
  readonly secretId: string | undefined;
  readonly baseUrl: string | undefined;
  readonly entityIds: readonly string[];
  readonly orgIds: readonly string[];
  readonly dryRun: boolean;
  readonly staleAfterMs: { readonly accepted: number; readonly in_progress: number };
  readonly eventStaleAfterFloorMs: number;
  readonly maxCancelsPerRun: number;
  readonly concurrency: number;
  readonly protectCreatedBy: readonly string[];
  readonly protectQueryPattern: string | undefined;
  readonly onlyCreatedBy: readonly string[];
}

const DURATION_MESSAGE = 'must be a duration such as 90m, 2h, 1d or PT2H';

/** A duration string that parses and is at least {@link MIN_STALE_AFTER_MS}. */
export const staleAfterSchema = lazySchema(() =>
  z.string(DURATION_MESSAGE).check(
    z.maxLength(32, DURATION_MESSAGE),
    z.refine((value) => parseDuration(value) !== undefined, DURATION_MESSAGE),
    z.refine(
      (value) => (parseDuration(value) ?? Number.POSITIVE_INFINITY) >= MIN_STALE_AFTER_MS,
      `must be at least ${formatDuration(MIN_STALE_AFTER_MS)}`,
    ),
  ),
);

function wholeNumber(range: { min: number; max: number }) {
  const message = `must be a whole number from ${range.min} to ${range.max}`;
  return z.int(message).check(z.gte(range.min, message), z.lte(range.max, message));
}

/**
 * Ids in a list. They travel in comma lists (the environment) and in HTTP headers
 * (`Zuora-Entity-Ids`), so they are printable ASCII without commas or spaces.
 */
function idList() {
  return z.array(
    z
      .string('must be a string')
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(256, 'must be at most 256 characters'),
        z.regex(/^[^\s,]+$/, 'must not contain commas or spaces'),
        z.regex(/^[\x21-\x7e]*$/, 'must be printable ASCII'),
      ),
    'must be a list of ids',
  );
}

function patternCompiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The settings schema: unknown keys are errors. */
export const settingsSchema = lazySchema(() =>
  z.strictObject({
    secretId: z.optional(
      z.string('must be a string').check(z.trim(), z.minLength(1, 'must not be empty')),
    ),
    baseUrl: z.optional(
      z.string('must be a string').check(
        z.superRefine((value, context) => {
          const problem = baseUrlProblem(value);
          if (problem) context.issues.push({ code: 'custom', message: problem, input: value });
        }),
      ),
    ),
    entityIds: z.optional(idList()),
    orgIds: z.optional(idList()),
    dryRun: z.optional(z.boolean('must be true or false')),
    staleAfter: z.optional(staleAfterSchema()),
    staleAfterAccepted: z.optional(staleAfterSchema()),
    staleAfterInProgress: z.optional(staleAfterSchema()),
    eventStaleAfterFloor: z.optional(staleAfterSchema()),
    maxCancelsPerRun: z.optional(wholeNumber(MAX_CANCELS_PER_RUN)),
    concurrency: z.optional(wholeNumber(CONCURRENCY)),
    protectCreatedBy: z.optional(idList()),
    protectQueryPattern: z.optional(
      z
        .string('must be a string')
        .check(
          z.minLength(1, 'must not be empty'),
          z.refine(patternCompiles, 'is not a valid regular expression'),
        ),
    ),
    onlyCreatedBy: z.optional(idList()),
  }),
);

/** How a source names a setting in messages, from the issue's path (`['protectCreatedBy', 2]`). */
export type SettingNamer = (path: readonly PropertyKey[]) => string;

/** Names settings by key and index, as the construct's props and files spell them. */
export const nameByKey: SettingNamer = (path) =>
  path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');

/** The outcome of {@link parseSettings}. */
export type SettingsResult =
  | { readonly ok: true; readonly settings: ResolvedSettings }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Validates `input` against the settings schema and applies the defaults. Each problem reads
 * `<name> <what is wrong>`, with names given by `name`.
 */
export function parseSettings(input: unknown, name: SettingNamer = nameByKey): SettingsResult {
  const result = z.safeParse(settingsSchema(), input);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => {
        const label = issue.path.length > 0 ? name(issue.path) : '';
        return label ? `${label} ${issue.message}` : issue.message;
      }),
    };
  }
  const value = result.data;
  const staleAfter = durationMs(value.staleAfter) ?? DEFAULT_STALE_AFTER_MS;
  const staleAfterMs = {
    accepted: durationMs(value.staleAfterAccepted) ?? staleAfter,
    in_progress: durationMs(value.staleAfterInProgress) ?? staleAfter,
  };
  return {
    ok: true,
    settings: {
      secretId: value.secretId,
      baseUrl: value.baseUrl,
      entityIds: unique(value.entityIds),
      orgIds: unique(value.orgIds),
      dryRun: value.dryRun ?? true,
      staleAfterMs,
      eventStaleAfterFloorMs:
        durationMs(value.eventStaleAfterFloor) ??
        Math.min(staleAfterMs.accepted, staleAfterMs.in_progress),
      maxCancelsPerRun: value.maxCancelsPerRun ?? MAX_CANCELS_PER_RUN.default,
      concurrency: value.concurrency ?? CONCURRENCY.default,
      // User ids compare case-insensitively: Zuora does not promise one case.
      protectCreatedBy: unique(value.protectCreatedBy?.map((id) => id.toLowerCase())),
      protectQueryPattern: value.protectQueryPattern,
      onlyCreatedBy: unique(value.onlyCreatedBy?.map((id) => id.toLowerCase())),
    },
  };
}

function durationMs(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDuration(text);
}

function unique(list: readonly string[] | undefined): string[] {
  return [...new Set(list ?? [])];
}

/**
 * A stale-after threshold given per run (a sweep event, `--stale-after`), in milliseconds, or
 * undefined when it is not a duration of at least {@link MIN_STALE_AFTER_MS}.
 */
export function parseStaleAfter(text: string): number | undefined {
  return z.safeParse(staleAfterSchema(), text).success ? parseDuration(text) : undefined;
}
