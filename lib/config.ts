/**
 * The janitor's configuration, read from environment variables once at start-up. Every variable
 * is checked, and all problems are reported together in one {@link ConfigError}.
 */
import { parseDuration } from './duration.ts';
import { parseBaseUrl } from './zuora/http.ts';
import type { CancellableStatus } from './zuora/model.ts';

/** Shortest stale-after threshold accepted: younger jobs are too likely still wanted. */
export const MIN_STALE_AFTER_MS = 5 * 60_000;
/**
 * Parses a stale-after threshold given per run (a sweep event, `--stale-after`): a duration of
 * at least {@link MIN_STALE_AFTER_MS}, in milliseconds, or undefined.
 */
export function parseStaleAfter(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms >= MIN_STALE_AFTER_MS ? ms : undefined;
}

/** Highest `JANITOR_CONCURRENCY`: Zuora's tenant-wide concurrency is shared with everyone. */
export const MAX_CONCURRENCY = 10;

/** Validated configuration. */
export interface JanitorConfig {
  /** Secrets Manager secret name or ARN (required in Lambda). */
  readonly secretId: string | undefined;
  /** Base URL when the secret has none. */
  readonly baseUrl: string | undefined;
  /** Entities to sweep one by one (`Zuora-Entity-Ids`); empty means the default entity. */
  readonly entityIds: readonly string[];
  readonly orgIds: readonly string[];
  readonly dryRun: boolean;
  /** Milliseconds after `updatedOn` past which a job in each status is stale. */
  readonly staleAfterMs: Readonly<Record<CancellableStatus, number>>;
  readonly maxCancelsPerRun: number;
  readonly concurrency: number;
  readonly protectCreatedBy: readonly string[];
  readonly protectQueryPattern: RegExp | undefined;
  /** When non-empty, only these users' jobs may be cancelled. */
  readonly onlyCreatedBy: readonly string[];
}

/** One message naming every invalid variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration from `env`. With `requireSecretId` (Lambda),
 * `ZUORA_SECRET_ID` must be set. Throws {@link ConfigError} listing every bad variable.
 */
export function loadConfig(env: Env, options: { requireSecretId?: boolean } = {}): JanitorConfig {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const list = (name: string) => [
    ...new Set(
      (text(name) ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ];

  const secretId = text('ZUORA_SECRET_ID');
  if (options.requireSecretId && !secretId) {
    problems.push('ZUORA_SECRET_ID is required (the Secrets Manager secret name or ARN)');
  }

  const baseUrl = text('ZUORA_BASE_URL');
  if (baseUrl) {
    try {
      parseBaseUrl(baseUrl);
    } catch (error) {
      problems.push(`ZUORA_BASE_URL: ${(error as Error).message}`);
    }
  }

  const dryRun = parseBoolean(text('JANITOR_DRY_RUN'), true, 'JANITOR_DRY_RUN', problems);

  const duration = (name: string, fallback: number) => {
    const value = text(name);
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      problems.push(`${name} must be a duration such as 90m, 2h, 1d or PT2H (got "${value}")`);
      return fallback;
    }
    if (ms < MIN_STALE_AFTER_MS) {
      problems.push(`${name} must be at least 5m (got "${value}")`);
      return fallback;
    }
    return ms;
  };
  const staleAfter = duration('JANITOR_STALE_AFTER', 2 * 3_600_000);
  const staleAfterMs = {
    accepted: duration('JANITOR_STALE_AFTER_ACCEPTED', staleAfter),
    in_progress: duration('JANITOR_STALE_AFTER_IN_PROGRESS', staleAfter),
  };

  const integer = (name: string, fallback: number, min: number, max: number) => {
    const value = text(name);
    if (value === undefined) return fallback;
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  };
  const maxCancelsPerRun = integer('JANITOR_MAX_CANCELS_PER_RUN', 25, 1, 10_000);
  const concurrency = integer('JANITOR_CONCURRENCY', 4, 1, MAX_CONCURRENCY);

  let protectQueryPattern: RegExp | undefined;
  const pattern = env.JANITOR_PROTECT_QUERY_PATTERN;
  if (pattern?.trim()) {
    try {
      protectQueryPattern = new RegExp(pattern);
    } catch (error) {
      problems.push(
        `JANITOR_PROTECT_QUERY_PATTERN is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    secretId,
    baseUrl,
    entityIds: list('ZUORA_ENTITY_IDS'),
    orgIds: list('ZUORA_ORG_IDS'),
    dryRun,
    staleAfterMs,
    maxCancelsPerRun,
    concurrency,
    protectCreatedBy: list('JANITOR_PROTECT_CREATED_BY'),
    protectQueryPattern,
    onlyCreatedBy: list('JANITOR_ONLY_CREATED_BY'),
  };
}

/** Parses true/false (also 1/0, yes/no), case-insensitively. */
export function parseBoolean(
  value: string | undefined,
  fallback: boolean,
  name: string,
  problems: string[],
): boolean {
  if (value === undefined) return fallback;
  const normalized = value.toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  problems.push(`${name} must be true or false (got "${value}")`);
  return fallback;
}
