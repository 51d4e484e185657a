/**
 * What one janitor run shares between its steps: its id (also the `Zuora-Track-Id`), deadline,
 * rules, Zuora client, report, and the one structured log record per job.
 */
import { randomUUID } from 'node:crypto';
import { scheduler } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { JanitorConfig } from '../config.ts';
import type { ResolvedPressure } from '../contract/settings.ts';
import { type Log, withKeys } from '../log.ts';
import { TOKEN_PATH, type TokenCache } from '../zuora/auth.ts';
import { ZuoraClient } from '../zuora/client.ts';
import {
  type CredentialSource,
  CredentialsError,
  refreshingOncePerRun,
} from '../zuora/credentials.ts';
import {
  DeadlineExceededError,
  waitSeconds,
  ZuoraError,
  ZuoraHttpError,
  ZuoraNetworkError,
} from '../zuora/errors.ts';
import type { QueryJob } from '../zuora/model.ts';
import { Redactor } from '../zuora/redact.ts';
import type { RetryPolicy } from '../zuora/retry.ts';
import { jobText } from './job-text.ts';
import { forOneRun, PATTERN_TIMEOUTS_PER_RUN, type QueryMatcher } from './pattern.ts';
import type { PolicyRules, WarningWindow } from './policy.ts';
import {
  type Outcome,
  type OutcomeDetails,
  type Report,
  ReportBuilder,
  type Trigger,
} from './report.ts';

/** What the janitor needs from its host (Lambda handler, CLI, demo, tests). */
export interface JanitorDeps {
  config: JanitorConfig;
  /** Long-lived: cached across runs (5 minutes). */
  credentials: CredentialSource;
  /** Long-lived: one token per warm process. */
  tokens: TokenCache;
  log: Log;
  /** Overrides for the HTTP layer (tests and the benchmark). */
  http?: {
    retry?: Partial<RetryPolicy>;
    fetch?: typeof fetch;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    random?: () => number;
  };
  now?: () => number;
}

/** Per-run choices; unset ones come from the configuration. */
export interface RunOptions {
  trigger: Trigger;
  /** Epoch milliseconds by which the run must be done. */
  deadline: number;
  /** Aborted to stop starting new work (Ctrl-C): what is in flight finishes, the rest is deferred. */
  signal?: AbortSignal | undefined;
  runId?: string | undefined;
  dryRun?: boolean | undefined;
  /** Overrides the stale-after threshold for both statuses. */
  staleAfterMs?: number | undefined;
  /** Why a cancel was requested (bounded and scrubbed by the caller), for the audit trail. */
  reason?: string | undefined;
  /** A scheduled sweep's warning window; without it, no warnings (on demand, CLI). */
  warnings?: WarningWindow | undefined;
  /** Told about each job warned (the host publishes `Query Job Will Be Cancelled`). */
  onWarning?: ((warned: WarnedJob) => void) | undefined;
}

/** A job that will be cancelled soon, as a warning tells it. */
export interface WarnedJob {
  readonly id: string;
  readonly status: string;
  readonly ageSeconds: number | null;
  readonly createdBy: string | null;
  readonly queryHash: string | null;
  /** When it becomes stale (ISO 8601). */
  readonly eligibleAt: string;
  readonly reason: string;
}

/** Time a job needs before the deadline to be worth starting (a read and a cancel). */
const JOB_RESERVE_MS = 2_000;

/** Error text safe for reports and logs: our own errors are built without secrets. */
export function describeError(error: unknown): string {
  if (error instanceof ZuoraError) return error.message;
  if (error instanceof CredentialsError) return error.message;
  return 'unexpected error';
}

/** Creates a run id: short, unique, and a valid `Zuora-Track-Id`. */
export function newRunId(): string {
  return `qj-${randomUUID()}`;
}

/** A job as listed or read in one entity (undefined: the default entity). */
export type EntityJob = QueryJob & { readonly entityId: string | undefined };

/** One run in progress. */
export class Run {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly rules: PolicyRules;
  readonly deadline: number;
  readonly config: JanitorConfig;
  readonly report: ReportBuilder;
  readonly log: Log;
  readonly now: () => number;
  /** The run's one Zuora client: every entity, one token refresh, one pause after a 429. */
  readonly zuora: ZuoraClient;
  /** Why a cancel was requested, when one was. */
  readonly requestReason: string | undefined;
  /**
   * Why jobs could not be read because Zuora or the secret was out of reach (not a per-job
   * problem); see {@link Run.readFailed}. A cancel's failure after its read is not one of these.
   */
  readonly unreachable: unknown[] = [];
  readonly #signal: AbortSignal | undefined;

  constructor(deps: JanitorDeps, options: RunOptions) {
    const { config } = deps;
    this.config = config;
    this.now = deps.now ?? Date.now;
    this.runId = options.runId ?? newRunId();
    this.dryRun = options.dryRun ?? config.dryRun;
    this.deadline = options.deadline;
    this.#signal = options.signal;
    this.requestReason = options.reason;
    this.log = withKeys(deps.log, { runId: this.runId, tenant: config.name });
    // One redactor for the run: the client teaches it the secret, the tokens and the queries it
    // reads; the report, the logs and the policy's reasons scrub what jobs say with it.
    const redactor = new Redactor();
    const text = jobText(redactor);
    this.rules = {
      staleAfterMs:
        options.staleAfterMs === undefined
          ? config.staleAfterMs
          : { accepted: options.staleAfterMs, in_progress: options.staleAfterMs },
      protectCreatedBy: config.protectCreatedBy,
      protectQueryPattern: patternForRun(config.protectQueryPattern, this.log),
      onlyCreatedBy: config.onlyCreatedBy,
      timeZone: config.timeZone,
      pressure: withFloor(config.pressure, options.staleAfterMs),
      quote: text,
    };
    this.report = new ReportBuilder(
      { runId: this.runId, tenant: config.name, trigger: options.trigger, dryRun: this.dryRun },
      { now: this.now, timeZone: config.timeZone, text },
    );
    this.zuora = new ZuoraClient({
      redactor,
      credentials: refreshingOncePerRun(deps.credentials),
      tokens: deps.tokens,
      trackId: this.runId,
      orgIds: config.orgIds,
      deadline: this.deadline,
      signal: this.#signal,
      log: this.log,
      now: this.now,
      ...deps.http,
    });
  }

  /** The entities to work on: each configured one, or the default (undefined). */
  get entities(): Array<string | undefined> {
    return this.config.entityIds.length > 0 ? [...this.config.entityIds] : [undefined];
  }

  /** Why no more work may start, or undefined while it may: the deadline, or an interrupt. */
  stopReason(): string | undefined {
    if (this.#signal?.aborted) return 'interrupted';
    if (this.deadline - this.now() < JOB_RESERVE_MS) return 'deadline reached';
    return undefined;
  }

  /**
   * Runs `work` over `items` with at most `concurrency` in flight. Each item first lets the event
   * loop turn: work that needs no I/O (a dry run) would otherwise run to the end on microtasks,
   * and a Ctrl-C or a timer could not be heard until it had.
   */
  async forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
    const limit = pLimit(this.config.concurrency);
    await Promise.all(
      items.map((item) =>
        limit(async () => {
          await scheduler.yield();
          return work(item);
        }),
      ),
    );
  }

  /** Records and logs a job's outcome. */
  outcome(
    job: QueryJob | string,
    outcome: Outcome,
    details: OutcomeDetails & { entityId?: string | undefined } = {},
  ): Outcome {
    const { entityId, ...fields } = details;
    const entry =
      typeof job === 'string'
        ? this.report.recordId(job, outcome, fields)
        : this.report.record(job, outcome, fields);
    const level = outcome === 'failed' ? 'warn' : 'info';
    this.log[level]('query job', {
      jobId: entry.id,
      outcome,
      status: entry.status,
      ageSeconds: entry.ageSeconds,
      createdBy: entry.createdBy,
      queryHash: entry.queryHash,
      entityId,
      dryRun: this.dryRun,
      reason: entry.reason,
      httpStatus: entry.httpStatus,
      error: entry.error,
    });
    return outcome;
  }

  /** Records the outcome of a job that could not be read, noting whether Zuora was out of reach. */
  readFailed(job: QueryJob | string, error: unknown, entityId?: string): Outcome {
    if (isUnreachable(error)) this.unreachable.push(error);
    return this.outcomeOfError(job, error, entityId);
  }

  /** Records the outcome of a failed call on a job: races are outcomes, the rest failures. */
  outcomeOfError(job: QueryJob | string, error: unknown, entityId?: string): Outcome {
    if (error instanceof DeadlineExceededError) {
      const why = error.interrupted ? 'interrupted' : 'deadline reached';
      const cause = error.cause instanceof ZuoraError ? error.cause : undefined;
      // The wait that did not fit, when there was one: "the deadline" alone misleads when it is
      // minutes away and Zuora asked for an hour.
      const wait =
        error.waitMs === undefined || error.interrupted
          ? ''
          : `: waiting ${waitSeconds(error.waitMs)} s${cause ? ' to retry' : ''} would outlast the run`;
      const after = cause
        ? `${wait ? ', after' : ' while waiting to retry:'} ${describeError(cause)}`
        : '';
      return this.outcome(job, 'deferred', { reason: `${why}${wait}${after}`, entityId });
    }
    // A failed token request (a refresh after a 401) is the run's, not the job's answer: the job
    // carries no status of its own, so its failure counts as one a redrive can finish.
    const jobAnswer =
      error instanceof ZuoraHttpError && error.path !== TOKEN_PATH ? error : undefined;
    const httpStatus = jobAnswer?.status;
    const kind = jobAnswer?.kind;
    if (kind === 'already-finished') {
      return this.outcome(job, 'already-finished', {
        httpStatus,
        reason: 'Zuora answered 1003: no longer accepted or in_progress',
        entityId,
      });
    }
    if (kind === 'not-found') {
      return this.outcome(job, 'not-found', { httpStatus, reason: 'Zuora answered 404', entityId });
    }
    return this.outcome(job, 'failed', { httpStatus, error: describeError(error), entityId });
  }

  /** Finishes the report and logs the summary. */
  finish(): Report {
    const report = this.report.finish();
    const level = report.counts.failed > 0 || report.truncated ? 'warn' : 'info';
    this.log[level](`${report.trigger} run finished`, {
      dryRun: report.dryRun,
      counts: report.counts,
      truncated: report.truncated,
      capacity: report.capacity,
      durationMs: report.durationMs,
      requests: this.zuora.stats.requests,
    });
    return report;
  }
}

/**
 * The pressure rule under a run's own threshold (a sweep event's `staleAfter`, `--stale-after`):
 * a run asked to be more careful is more careful under pressure too, never less.
 */
function withFloor(
  pressure: ResolvedPressure | undefined,
  floorMs: number | undefined,
): ResolvedPressure | undefined {
  if (pressure === undefined || floorMs === undefined) return pressure;
  return {
    ...pressure,
    staleAfterMs: Math.max(pressure.staleAfterMs, floorMs),
    retriedStaleAfterMs: Math.max(pressure.retriedStaleAfterMs, floorMs),
  };
}

/**
 * The protect pattern for one run, with its bounded time (see {@link forOneRun}); the run says
 * once that it spent it (each job the pattern holds says why in its own record).
 */
function patternForRun(pattern: QueryMatcher | undefined, log: Log): QueryMatcher | undefined {
  if (pattern === undefined) return undefined;
  return forOneRun(pattern, () =>
    log.warn(
      `protectQueryPattern did not finish in time on ${PATTERN_TIMEOUTS_PER_RUN} queries: it is not evaluated again in this run, and every later stale job it would apply to is protected`,
    ),
  );
}

/** Errors that mean the run could not talk to Zuora at all, rather than a per-job problem. */
function isUnreachable(error: unknown): boolean {
  // Out of time while still retrying (not interrupted): Zuora never answered usefully.
  if (error instanceof DeadlineExceededError)
    return !error.interrupted && error.cause !== undefined;
  // No token (refused, forbidden, redirected): nothing about the jobs, and a redrive can succeed.
  if (error instanceof ZuoraHttpError)
    return error.kind === 'unauthorized' || error.path === TOKEN_PATH;
  return error instanceof ZuoraNetworkError || error instanceof CredentialsError;
}
