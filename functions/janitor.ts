/**
 * The janitor as both functions run it, created once per execution environment: the validated
 * configuration (the fleet file in the code asset, or one tenant from environment variables;
 * invalid configuration fails the cold start with one message), a janitor per tenant with its
 * own secret and token caches, the tenant lease, and how an invocation starts and completes a
 * run. One invocation serves one tenant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { TenantLease } from '../lib/aws/lease.ts';
import { ResultPublisher } from '../lib/aws/result-events.ts';
import { describeSdkError } from '../lib/aws/sdk-errors.ts';
import { newSecretsManagerClient, SecretsManagerCredentials } from '../lib/aws/secrets-manager.ts';
import {
  type FleetConfiguration,
  type JanitorConfig,
  loadConfig,
  loadFleetDocument,
} from '../lib/config.ts';
import {
  DEFAULT_EVENT_SOURCE,
  FAILED_RUN_METRIC,
  SKIPPED_RUN_METRIC,
  SWEEP_SUCCEEDED_METRIC,
  UNPUBLISHED_EVENTS_METRIC,
} from '../lib/contract/names.ts';
import type { EventLimits } from '../lib/events.ts';
import {
  createJanitor,
  describeError,
  type Janitor,
  newRunId,
  type Report,
  resultEvents,
  type WarnedJob,
} from '../lib/janitor/index.ts';
import { TokenCache } from '../lib/zuora/auth.ts';
import { log, logger, metrics, recordMetrics } from './observability.ts';
import { mapErrorStack } from './source-mapped-errors.ts';

/** The fleet: from the code asset's configuration file when the construct put one there. */
function loadRuntimeFleet(env: NodeJS.ProcessEnv): FleetConfiguration {
  if (env.QUERY_JANITOR_FLEET) {
    const path = join(env.LAMBDA_TASK_ROOT ?? process.cwd(), env.QUERY_JANITOR_FLEET);
    return loadFleetDocument(readFileSync(path, 'utf8'), env);
  }
  const tenant = loadConfig(env, { requireSecretId: true });
  return {
    commandSenders: [],
    eventSource: DEFAULT_EVENT_SOURCE,
    alarmTopicArn: undefined,
    auditLogRetentionDays: 365,
    notifications: [],
    tenants: new Map([[tenant.name, tenant]]),
  };
}

/** The deployment's tenants, validated at cold start (a failure reports a source-mapped stack). */
export const fleet = (() => {
  try {
    return loadRuntimeFleet(process.env);
  } catch (error) {
    mapErrorStack(error);
    throw error;
  }
})();

const secretsClient = newSecretsManagerClient();
const janitors = new Map<string, Janitor>();

/** The tenant's configuration and janitor (created on first use, then kept warm). */
export function janitorFor(tenant: string): { config: JanitorConfig; janitor: Janitor } {
  const config = fleet.tenants.get(tenant) as JanitorConfig;
  let janitor = janitors.get(tenant);
  if (!janitor) {
    janitor = createJanitor({
      config,
      credentials: new SecretsManagerCredentials({
        secretId: config.secret?.id as string,
        fallbackBaseUrl: config.baseUrl,
        client: secretsClient,
      }),
      tokens: new TokenCache(),
      log,
    });
    janitors.set(tenant, janitor);
  }
  return { config, janitor };
}

/** What events may change in the tenant's runs (more careful, never less). */
export function eventLimitsOf(config: JanitorConfig): EventLimits {
  return { dryRun: config.dryRun, staleAfterFloorMs: config.eventStaleAfterFloorMs };
}

/** A cancel request left work that a redrive could finish; the event is kept. */
export class IncompleteRunError extends Error {
  override name = 'IncompleteRunError';
}

/** Another run of the tenant held the lease for as long as this one could wait; the event is kept. */
export class TenantBusyError extends Error {
  override name = 'TenantBusyError';
}

/** A scheduled sweep that found another sweep of its tenant running: the next period retries. */
export interface SkippedRun {
  readonly skipped: true;
  readonly runId: string;
  readonly tenant: string;
  readonly trigger: Report['trigger'];
  readonly reason: string;
}

/** The run's deadline: the invocation's end, less a margin to return and flush metrics. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context.getRemainingTimeInMillis();
  return Date.now() + remaining - Math.min(3_000, remaining / 5);
}

/** Starts a run: a new run id, added (with the trigger and tenant) to every log line. */
export function startRun(trigger: Report['trigger'], tenant: string): string {
  const runId = newRunId();
  logger.appendKeys({ runId, trigger, tenant });
  return runId;
}

const leaseTable = process.env.QUERY_JANITOR_LEASE_TABLE;
const lease = leaseTable ? new TenantLease({ tableName: leaseTable }) : undefined;
/** How long an on-demand run waits for a running sweep of its tenant before it gives up. */
const LEASE_WAIT_MS = 60_000;
const LEASE_POLL_MS = 2_000;
/**
 * How long a call to the lease table may take: a DynamoDB that hangs would otherwise hold the
 * invocation for the client's request timeout and its retries. Publishing stops early enough
 * for the release to fit.
 */
const LEASE_ACQUIRE_MS = 2_000;
const LEASE_RELEASE_MS = 1_000;

/** The tenant's lease could not be taken: the table failed or did not answer in time. */
export class LeaseUnavailableError extends Error {
  override name = 'LeaseUnavailableError';
}

/**
 * Runs `work` holding the tenant's lease, so two runs of one tenant never overlap. When another
 * run holds it: a scheduled sweep is skipped (the next period is its retry); a command waits a
 * while, then fails with {@link TenantBusyError} so that its event is kept, never dropped.
 * Without a lease table (a deployment configured by environment variables) `work` just runs.
 */
export async function withLease<T>(
  options: { tenant: string; runId: string; deadline: number; trigger: Report['trigger'] },
  work: () => Promise<T>,
): Promise<T | SkippedRun> {
  if (!lease) return work();
  const { tenant, runId, deadline, trigger } = options;
  // The lease outlives the run's deadline by a margin for clock skew, never the function.
  const until = deadline + 30_000;
  const giveUpAt = Math.min(Date.now() + LEASE_WAIT_MS, Date.now() + (deadline - Date.now()) / 2);
  for (;;) {
    const granted = await lease
      .acquire(tenant, runId, until, AbortSignal.timeout(LEASE_ACQUIRE_MS))
      .catch((error: unknown) => {
        const why = describeSdkError(error, `its ${LEASE_ACQUIRE_MS / 1000} s limit`);
        const failure = new LeaseUnavailableError(
          `Could not take the lease of tenant ${tenant}: ${why}`,
          { cause: error },
        );
        recordFailure(failure);
        throw failure;
      });
    if (granted) break;
    if (trigger === 'schedule') {
      const reason = `another sweep of tenant ${tenant} is running`;
      logger.info('sweep skipped', { reason });
      metrics.addMetric(SKIPPED_RUN_METRIC, MetricUnit.Count, 1);
      return { skipped: true, runId, tenant, trigger, reason };
    }
    if (Date.now() + LEASE_POLL_MS > giveUpAt) {
      const busy = new TenantBusyError(
        `Tenant ${tenant} is being swept by another run; the event is kept for redrive`,
      );
      recordFailure(busy);
      throw busy;
    }
    await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
  }
  try {
    return await work();
  } finally {
    await lease
      .release(tenant, runId, AbortSignal.timeout(LEASE_RELEASE_MS))
      .catch((error: unknown) => {
        // It expires at the deadline anyway; the next run of the tenant waits until then.
        logger.warn('could not release the tenant lease', {
          error: describeSdkError(error, `its ${LEASE_RELEASE_MS / 1000} s limit`),
        });
      });
  }
}

const eventBus = process.env.QUERY_JANITOR_EVENT_BUS;
const publisher = eventBus
  ? new ResultPublisher({ busName: eventBus, source: fleet.eventSource })
  : undefined;

/**
 * Waits for the run, emits its metrics, publishes its result events and returns the report. A
 * run that failed as a whole (no report) is logged with a safe message, counted, and rethrown,
 * so the invocation fails. Events that cannot be published are logged and counted; they change
 * nothing about the run.
 */
export async function completeRun(
  run: Promise<Report>,
  options: {
    tenant: string;
    sweep: boolean;
    context: Pick<Context, 'getRemainingTimeInMillis'>;
    warnings?: readonly WarnedJob[];
  },
): Promise<Report> {
  try {
    const report = await run;
    recordMetrics(report);
    if (options.sweep) {
      // The one per-tenant metric: what the tenant's "has not run" alarm watches.
      const perTenant = metrics.singleMetric();
      perTenant.addDimension('tenant', options.tenant);
      perTenant.addMetric(SWEEP_SUCCEEDED_METRIC, MetricUnit.Count, 1);
    }
    if (publisher) {
      const events = resultEvents(report, options.warnings);
      // Publishing may use the time the run left, less two seconds: one to release the lease
      // (LEASE_RELEASE_MS), one to return and flush metrics.
      const deadline = Date.now() + options.context.getRemainingTimeInMillis() - 2_000;
      const outcome = await publisher.publish(events, deadline);
      if (outcome.failed > 0) {
        logger.warn('result events not published', { ...outcome });
        metrics.addMetric(UNPUBLISHED_EVENTS_METRIC, MetricUnit.Count, outcome.failed);
      }
    }
    return report;
  } catch (error) {
    recordFailure(error);
    throw error;
  }
}

/** Logs a run that failed as a whole, with a safe message, and counts it. */
function recordFailure(error: unknown): void {
  // The lease's messages are the janitor's own words, with the AWS error's class: safe to log.
  const message =
    error instanceof LeaseUnavailableError || error instanceof TenantBusyError
      ? error.message
      : describeError(error);
  logger.error('run failed', { error: message, errorName: (error as Error)?.name });
  metrics.addMetric(FAILED_RUN_METRIC, MetricUnit.Count, 1);
}
