/**
 * The one schema for janitor settings, shaped as the per-tenant policy the configuration file
 * embeds. Whoever supplies settings (the file at synth and at a function's start-up, the
 * environment for a single tenant, the CLI) goes through these schemas, so a value is accepted
 * by all of them or by none. Messages name a setting the way its source does (`staleAfter`,
 * `tenants[2].staleAfter`, `JANITOR_STALE_AFTER`) and never echo a value.
 */
import * as z from 'zod/mini';
import { baseUrlProblem } from './base-url.ts';
import { formatDuration, parseDuration } from './duration.ts';
import {
  CAPACITY_SOURCES,
  type CapacitySource,
  CONCURRENCY,
  DEFAULT_SCHEDULE,
  DEFAULT_STALE_AFTER_MS,
  DEFAULT_TIME_ZONE,
  MAX_CANCELS_PER_RUN,
  MIN_STALE_AFTER_MS,
  PRESSURE_HEADROOM,
  RETRIES_START,
  ZUORA_CAPACITY,
} from './limits.ts';
import { flexibleWindowMs, schedulePeriodMs, scheduleProblem } from './schedule.ts';
import { describeProblems, lazySchema, nameByKey, type SettingNamer } from './validation.ts';

export { describeProblems, nameByKey, type SettingNamer };

/** The policy: what a tenant's runs may do. Allowed in `defaults` and in each tenant. */
export interface PolicySettings {
  /** Report what would be cancelled, cancel nothing. @default true */
  readonly dryRun?: boolean | undefined;
  /** Age past which a job is stale: `90m`, `2h`, `1d`, `PT2H`; at least 5m. @default '2h' */
  readonly staleAfter?: string | undefined;
  /** Overrides `staleAfter` for `accepted` jobs. */
  readonly staleAfterAccepted?: string | undefined;
  /** Overrides `staleAfter` for `in_progress` jobs. */
  readonly staleAfterInProgress?: string | undefined;
  /**
   * Lowest `staleAfter` a sweep event (or the CLI's `--stale-after`) may ask for: they may make
   * a run more careful, never less. @default the smaller of the two thresholds
   */
  readonly eventStaleAfterFloor?: string | undefined;
  /** Cancels per run, oldest first; the rest are deferred. @default 25 */
  readonly maxCancelsPerRun?: number | undefined;
  /** Cancels in flight at once, 1 to 10. @default 4 */
  readonly concurrency?: number | undefined;
  /** User ids whose jobs are never cancelled (compared case-insensitively). */
  readonly protectCreatedBy?: readonly string[] | undefined;
  /** Regular expression; jobs whose query matches are never cancelled. */
  readonly protectQueryPattern?: string | undefined;
  /** When set, only these users' jobs may be cancelled. */
  readonly onlyCreatedBy?: readonly string[] | undefined;
  /** EventBridge Scheduler expression, `rate(…)` or `cron(…)`. @default 'rate(15 minutes)' */
  readonly schedule?: string | undefined;
  /** False: no schedule, and commands for the tenant are refused. @default true */
  readonly enabled?: boolean | undefined;
  /**
   * Publish `Query Job Will Be Cancelled` this long before a job becomes stale (once per job,
   * in the scheduled run whose period holds the moment). Needs a `rate(…)` schedule and must be
   * shorter than the thresholds. @default off
   */
  readonly warnBefore?: string | undefined;
  /**
   * The tenant's Data Query capacity per source, jobs running and queued at once.
   * @default Zuora's published limits: LIVE 5 and 10, WAREHOUSE 15 and 30
   */
  readonly capacityLimits?:
    | Partial<Record<CapacitySource, { readonly running: number; readonly queued: number }>>
    | undefined;
  /**
   * Whether the OAuth client sees every job of the tenant (its user is an admin). False: the
   * listing shows only the client's own jobs, so capacity is reported `unknown`. @default true
   */
  readonly seesAllJobs?: boolean | undefined;
  /** Frees queue slots when a source's queue is nearly full. @default off */
  readonly pressure?: PressureSettings | undefined;
}

/**
 * The pressure rule: when a source has fewer free queue slots than `headroom`, jobs older than
 * `staleAfter` (shorter than the normal thresholds) become eligible, as few as restore it.
 */
export interface PressureSettings {
  /** Free queue slots to keep, per source. */
  readonly headroom: number;
  /** Age past which a job may be cancelled under pressure; at least 5m. */
  readonly staleAfter: string;
  /** The same for a job Zuora has already timed out (retried). @default `staleAfter` */
  readonly retriedStaleAfter?: string | undefined;
  /** `remainingRetries` of a job never retried; below it, a job was retried. @default 3 */
  readonly retriesStart?: number | undefined;
}

/** A secret given by name or ARN, optionally with the KMS key that encrypts it. */
export type SecretReference =
  | string
  | { readonly id: string; readonly kmsKeyArn?: string | undefined };

/** One tenant: its connection, plus policy overrides. */
export interface TenantSettings extends PolicySettings {
  /** A slug used in events, metrics, logs and resource names. */
  readonly name?: string | undefined;
  /** Holds `{"clientId","clientSecret","baseUrl"?}`. @default a secret the stack creates */
  readonly secret?: SecretReference | undefined;
  /** Zuora REST base URL, used when the secret has none. */
  readonly baseUrl?: string | undefined;
  /** Entities to sweep one by one (`Zuora-Entity-Ids`). */
  readonly entityIds?: readonly string[] | undefined;
  /** Sent as `Zuora-Org-Ids`. */
  readonly orgIds?: readonly string[] | undefined;
  /** IANA zone in which an `updatedOn` without an offset is read. @default 'UTC' */
  readonly timeZone?: string | undefined;
}

/** A tenant with defaults applied, durations in milliseconds, ids lower-cased where compared. */
export interface ResolvedTenant {
  readonly name: string;
  readonly secret: { readonly id: string; readonly kmsKeyArn?: string | undefined } | undefined;
  readonly baseUrl: string | undefined;
  readonly entityIds: readonly string[];
  readonly orgIds: readonly string[];
  readonly timeZone: string;
  readonly dryRun: boolean;
  readonly staleAfterMs: { readonly accepted: number; readonly in_progress: number };
  readonly eventStaleAfterFloorMs: number;
  readonly maxCancelsPerRun: number;
  readonly concurrency: number;
  readonly protectCreatedBy: readonly string[];
  readonly protectQueryPattern: string | undefined;
  readonly onlyCreatedBy: readonly string[];
  readonly schedule: string;
  /** The schedule's period for `rate(…)` schedules; undefined for `cron(…)`. */
  readonly schedulePeriodMs: number | undefined;
  readonly enabled: boolean;
  /** How long before a job becomes stale a warning is published; undefined: no warnings. */
  readonly warnBeforeMs: number | undefined;
  readonly capacityLimits: Readonly<
    Record<CapacitySource, { readonly running: number; readonly queued: number }>
  >;
  readonly seesAllJobs: boolean;
  readonly pressure: ResolvedPressure | undefined;
}

/** The pressure rule with durations in milliseconds and defaults applied. */
export interface ResolvedPressure {
  readonly headroom: number;
  readonly staleAfterMs: number;
  readonly retriedStaleAfterMs: number;
  readonly retriesStart: number;
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
const idList = lazySchema(() =>
  z.array(
    z
      .string('must be a string')
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(256, 'must be at most 256 characters'),
        z.regex(/^[^\s,]+$/, 'must not contain commas or spaces'),
        z.regex(/^[\x21-\x7e]*$/, 'must be printable ASCII'),
      ),
    'must be a list of ids',
  ),
);

function patternCompiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** A zod check that reports what `problemOf` says is wrong with a string, if anything. */
export function checkedBy(problemOf: (value: string) => string | undefined) {
  return z.superRefine((value: string, context) => {
    const problem = problemOf(value);
    if (problem) context.issues.push({ code: 'custom', message: problem, input: value });
  });
}

function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return 'must be an IANA time zone such as UTC or Europe/Paris';
  }
}

const SECRET_NAME = /^[\w/+=.@-]{1,512}$/;
// A full ARN, or a partial one (without the 6 characters Secrets Manager adds to the name):
// GetSecretValue takes both, and the construct grants a partial one by its name.
const SECRET_ARN = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$/;
const KMS_KEY_ARN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/;
/** A tenant name: a slug, since it names schedules, metrics and log keys. */
export const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const secretId = lazySchema(() =>
  z
    .string('must be a secret name or ARN')
    .check(
      z.refine(
        (value) => SECRET_ARN.test(value) || (!value.startsWith('arn:') && SECRET_NAME.test(value)),
        'must be a Secrets Manager secret name or ARN',
      ),
    ),
);

/** Jobs running and queued at once, as Zuora counts a source's capacity. */
const slotsSchema = lazySchema(() =>
  z.strictObject({
    running: wholeNumber({ min: 1, max: 1_000 }),
    queued: wholeNumber({ min: 1, max: 1_000 }),
  }),
);

/** The policy keys' schemas, allowed in `defaults` and in each tenant. */
export const policyShape = lazySchema(() => ({
  dryRun: z.optional(z.boolean('must be true or false')),
  staleAfter: z.optional(staleAfterSchema()),
  staleAfterAccepted: z.optional(staleAfterSchema()),
  staleAfterInProgress: z.optional(staleAfterSchema()),
  eventStaleAfterFloor: z.optional(staleAfterSchema()),
  maxCancelsPerRun: z.optional(wholeNumber(MAX_CANCELS_PER_RUN)),
  concurrency: z.optional(wholeNumber(CONCURRENCY)),
  protectCreatedBy: z.optional(idList()),
  protectQueryPattern: z.optional(
    z.string('must be a string').check(
      z.minLength(1, 'must not be empty'),
      // Blank is a typo that would protect every query with a space in it: refused.
      z.regex(/\S/, 'must not be blank'),
      z.refine(patternCompiles, 'is not a valid regular expression'),
    ),
  ),
  // An empty allowlist would read as "no allowlist": every owner. Left out means that; [] is
  // a mistake (or a list emptied by a script), refused rather than read as everyone.
  onlyCreatedBy: z.optional(
    idList().check(z.minLength(1, 'must name at least one user id, or be left out for everyone')),
  ),
  schedule: z.optional(z.string('must be a string').check(checkedBy(scheduleProblem))),
  enabled: z.optional(z.boolean('must be true or false')),
  capacityLimits: z.optional(
    z.strictObject(
      Object.fromEntries(CAPACITY_SOURCES.map((source) => [source, z.optional(slotsSchema())])),
    ),
  ),
  seesAllJobs: z.optional(z.boolean('must be true or false')),
  pressure: z.optional(
    z.strictObject({
      headroom: wholeNumber(PRESSURE_HEADROOM),
      staleAfter: staleAfterSchema(),
      retriedStaleAfter: z.optional(staleAfterSchema()),
      retriesStart: z.optional(wholeNumber(RETRIES_START)),
    }),
  ),
  warnBefore: z.optional(
    z.string(DURATION_MESSAGE).check(
      z.maxLength(32, DURATION_MESSAGE),
      z.refine(
        (value) => (parseDuration(value) ?? 0) >= 60_000,
        `${DURATION_MESSAGE}, at least 1m`,
      ),
    ),
  ),
}));

/** The tenant's schema: its connection and policy overrides. Unknown keys are errors. */
export const tenantSchema = lazySchema(() =>
  z.strictObject({
    name: z.optional(
      z
        .string('must be a string')
        .check(z.regex(TENANT_NAME, 'must be a slug: 1-32 lower-case letters, digits and dashes')),
    ),
    secret: z.optional(
      z.union(
        [
          secretId(),
          z.strictObject({
            id: secretId(),
            kmsKeyArn: z.optional(z.string().check(z.regex(KMS_KEY_ARN, 'must be a KMS key ARN'))),
          }),
        ],
        'must be a secret name or ARN, or {"id", "kmsKeyArn"}',
      ),
    ),
    baseUrl: z.optional(z.string('must be a string').check(checkedBy(baseUrlProblem))),
    entityIds: z.optional(idList()),
    orgIds: z.optional(idList()),
    timeZone: z.optional(z.string('must be a string').check(checkedBy(timeZoneProblem))),
    ...policyShape(),
  }),
);

/**
 * A tenant with the `defaults` under it (the tenant wins), resolved: durations in milliseconds,
 * defaults applied, user ids lower-cased. Both must have passed their schemas.
 */
export function resolveTenant(
  tenant: TenantSettings,
  defaults: PolicySettings = {},
  fallbackName = 'default',
): ResolvedTenant {
  const value: TenantSettings = { ...definedOnly(defaults), ...definedOnly(tenant) };
  const staleAfter = durationMs(value.staleAfter) ?? DEFAULT_STALE_AFTER_MS;
  const staleAfterMs = {
    accepted: durationMs(value.staleAfterAccepted) ?? staleAfter,
    in_progress: durationMs(value.staleAfterInProgress) ?? staleAfter,
  };
  const schedule = value.schedule ?? DEFAULT_SCHEDULE;
  const secret = value.secret;
  return {
    name: value.name ?? fallbackName,
    secret: typeof secret === 'string' ? { id: secret } : secret,
    baseUrl: value.baseUrl,
    entityIds: unique(value.entityIds),
    orgIds: unique(value.orgIds),
    timeZone: value.timeZone ?? DEFAULT_TIME_ZONE,
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
    schedule,
    schedulePeriodMs: schedulePeriodMs(schedule),
    enabled: value.enabled ?? true,
    warnBeforeMs: durationMs(value.warnBefore),
    capacityLimits: {
      LIVE: value.capacityLimits?.LIVE ?? ZUORA_CAPACITY.LIVE,
      WAREHOUSE: value.capacityLimits?.WAREHOUSE ?? ZUORA_CAPACITY.WAREHOUSE,
    },
    seesAllJobs: value.seesAllJobs ?? true,
    pressure: resolvePressure(value.pressure),
  };
}

function resolvePressure(pressure: PressureSettings | undefined): ResolvedPressure | undefined {
  if (pressure === undefined) return undefined;
  const staleAfterMs = parseDuration(pressure.staleAfter) ?? Number.POSITIVE_INFINITY;
  return {
    headroom: pressure.headroom,
    staleAfterMs,
    retriedStaleAfterMs: durationMs(pressure.retriedStaleAfter) ?? staleAfterMs,
    retriesStart: pressure.retriesStart ?? RETRIES_START.default,
  };
}

/**
 * Problems only the whole tenant shows (its own keys and the defaults together), as
 * `[key, problem]` pairs, or none.
 */
export function tenantProblems(tenant: ResolvedTenant): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (tenant.warnBeforeMs !== undefined) {
    if (tenant.schedulePeriodMs === undefined) {
      problems.push(['warnBefore', 'needs a rate(...) schedule: warnings are timed by its period']);
    }
    if (
      tenant.warnBeforeMs >= Math.min(tenant.staleAfterMs.accepted, tenant.staleAfterMs.in_progress)
    ) {
      problems.push(['warnBefore', 'must be shorter than the stale-after thresholds']);
    }
    // The run that warns may start a whole period after the crossing, and late within its
    // window: a shorter warning would find the job stale already, and it would go unwarned.
    const least =
      tenant.schedulePeriodMs === undefined
        ? undefined
        : tenant.schedulePeriodMs + flexibleWindowMs(tenant.schedulePeriodMs);
    if (least !== undefined && tenant.warnBeforeMs < least) {
      problems.push([
        'warnBefore',
        `must be at least the schedule's period plus its flexible window (${formatDuration(least)}), or the run that warns may find the job stale already`,
      ]);
    }
  }
  const { pressure } = tenant;
  if (pressure !== undefined) {
    if (tenant.entityIds.length > 0) {
      problems.push([
        'pressure',
        'needs the whole tenant in view: a sweep restricted to entityIds cannot see its capacity',
      ]);
    }
    if (!tenant.seesAllJobs) {
      problems.push([
        'pressure',
        'needs seesAllJobs: a client that sees only its own jobs cannot see the capacity',
      ]);
    }
    if (
      pressure.staleAfterMs >=
      Math.min(tenant.staleAfterMs.accepted, tenant.staleAfterMs.in_progress)
    ) {
      problems.push(['pressure.staleAfter', 'must be shorter than the stale-after thresholds']);
    }
    if (pressure.retriedStaleAfterMs > pressure.staleAfterMs) {
      problems.push(['pressure.retriedStaleAfter', 'must not be longer than pressure.staleAfter']);
    }
    for (const source of CAPACITY_SOURCES) {
      if (pressure.headroom >= tenant.capacityLimits[source].queued) {
        problems.push([
          'pressure.headroom',
          `must be less than the ${source} queue limit (${tenant.capacityLimits[source].queued})`,
        ]);
      }
    }
  }
  return problems;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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
