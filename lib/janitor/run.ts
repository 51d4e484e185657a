/**
 * What one janitor run shares between its steps: its id (also the `Zuora-Track-Id`), deadline,
 * rules, per-entity clients, report, and the one structured log record per job.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { JanitorConfig } from '../config.ts';
import { type Log, withKeys } from '../log.ts';
import type { TokenCache } from '../zuora/auth.ts';
import { ZuoraClient } from '../zuora/client.ts';
import {
  type CredentialSource,
  CredentialsError,
  refreshingOncePerRun,
} from '../zuora/credentials.ts';
import {
  DeadlineExceededError,
  ZuoraError,
  ZuoraHttpError,
  ZuoraNetworkError,
} from '../zuora/errors.ts';
import type { QueryJob } from '../zuora/model.ts';
import type { RetryPolicy } from '../zuora/retry.ts';
import type { PolicyRules } from './policy.ts';
import { type Outcome, type Report, ReportBuilder, type Trigger } from './report.ts';

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
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
  };
  now?: () => number;
}

/** Per-run choices; unset ones come from the configuration. */
export interface RunOptions {
  trigger: Trigger;
  /** Epoch milliseconds by which the run must be done. */
  deadline: number;
  runId?: string | undefined;
  dryRun?: boolean | undefined;
  /** Overrides the stale-after threshold for both statuses. */
  staleAfterMs?: number | undefined;
  /** Why a cancel was requested, for the audit log. */
  reason?: string | undefined;
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
  /** Errors that meant Zuora or the secret could not be reached at all (not a per-job problem). */
  readonly unreachable: unknown[] = [];
  readonly #deps: JanitorDeps;
  readonly #credentials: CredentialSource;
  readonly #clients = new Map<string, ZuoraClient>();
  readonly #reason: string | undefined;

  constructor(deps: JanitorDeps, options: RunOptions) {
    const { config } = deps;
    this.#deps = deps;
    this.config = config;
    this.now = deps.now ?? Date.now;
    this.runId = options.runId ?? newRunId();
    this.dryRun = options.dryRun ?? config.dryRun;
    this.deadline = options.deadline;
    this.#reason = options.reason;
    this.rules = {
      staleAfterMs:
        options.staleAfterMs === undefined
          ? config.staleAfterMs
          : { accepted: options.staleAfterMs, in_progress: options.staleAfterMs },
      protectCreatedBy: config.protectCreatedBy,
      protectQueryPattern: config.protectQueryPattern,
      onlyCreatedBy: config.onlyCreatedBy,
    };
    this.report = new ReportBuilder(this.runId, options.trigger, this.dryRun, this.now);
    this.log = withKeys(deps.log, { runId: this.runId });
    this.#credentials = refreshingOncePerRun(deps.credentials);
  }

  /** The entities to work on: each configured one, or the default (undefined). */
  get entities(): Array<string | undefined> {
    return this.config.entityIds.length > 0 ? [...this.config.entityIds] : [undefined];
  }

  /** The run's client for an entity, created on first use. */
  client(entityId: string | undefined): ZuoraClient {
    const key = entityId ?? '';
    let client = this.#clients.get(key);
    if (!client) {
      client = new ZuoraClient({
        credentials: this.#credentials,
        tokens: this.#deps.tokens,
        trackId: this.runId,
        entityId,
        orgIds: this.config.orgIds,
        deadline: this.deadline,
        log: this.log,
        now: this.now,
        ...this.#deps.http,
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Requests sent by every client of this run. */
  get requests(): number {
    let total = 0;
    for (const client of this.#clients.values()) total += client.stats.requests;
    return total;
  }

  /** True when there is no longer time to read and cancel one more job. */
  outOfTime(): boolean {
    return this.deadline - this.now() < JOB_RESERVE_MS;
  }

  /** Runs `work` over `items` with at most `JANITOR_CONCURRENCY` in flight. */
  async forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
    const limit = pLimit(this.config.concurrency);
    await Promise.all(items.map((item) => limit(() => work(item))));
  }

  /** Records and logs a job's outcome. */
  outcome(
    job: QueryJob | string,
    outcome: Outcome,
    extra: {
      httpStatus?: number | undefined;
      error?: string | undefined;
      entityId?: string | undefined;
    } = {},
  ): Outcome {
    const { entityId, ...fields } = extra;
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
      reason: this.#reason,
      httpStatus: entry.httpStatus,
      error: entry.error,
    });
    return outcome;
  }

  /** Records the outcome of a failed call on a job: races are outcomes, the rest failures. */
  outcomeOfError(job: QueryJob | string, error: unknown, entityId?: string): Outcome {
    if (isUnreachable(error)) this.unreachable.push(error);
    if (error instanceof DeadlineExceededError) {
      return this.outcome(job, 'deferred', { error: 'deadline reached', entityId });
    }
    const httpStatus = error instanceof ZuoraHttpError ? error.status : undefined;
    const kind = error instanceof ZuoraHttpError ? error.kind : undefined;
    const outcome: Outcome =
      kind === 'already-finished'
        ? 'already-finished'
        : kind === 'not-found'
          ? 'not-found'
          : 'failed';
    return this.outcome(job, outcome, {
      httpStatus,
      error: outcome === 'failed' ? describeError(error) : undefined,
      entityId,
    });
  }

  /** Finishes the report and logs the summary. */
  finish(): Report {
    const report = this.report.finish();
    const level = report.counts.failed > 0 || report.truncated ? 'warn' : 'info';
    this.log[level](`${report.trigger} run finished`, {
      dryRun: report.dryRun,
      counts: report.counts,
      truncated: report.truncated,
      durationMs: report.durationMs,
      requests: this.requests,
    });
    return report;
  }
}

/** Errors that mean the run could not talk to Zuora at all, rather than a per-job problem. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof ZuoraHttpError) return error.kind === 'unauthorized';
  return error instanceof ZuoraNetworkError || error instanceof CredentialsError;
}
