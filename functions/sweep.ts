/**
 * Sweep function: invoked by a tenant's EventBridge Scheduler schedule
 * (`{"trigger":"schedule","tenant":…}`) and by the `Sweep Query Jobs` command. Sweeps one tenant
 * under its lease, publishes what it did, and returns the run report (or says it was skipped).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { JanitorConfig } from '../lib/config.ts';
import { SWEEP_DETAIL_TYPE } from '../lib/contract/names.ts';
import {
  enforceEventLimits,
  parseSweepEvent,
  type SweepRequest,
  selectTenant,
} from '../lib/events.ts';
import type { Report, WarnedJob } from '../lib/janitor/index.ts';
import type { WarningWindow } from '../lib/janitor/policy.ts';
import {
  completeRun,
  deadlineOf,
  eventLimitsOf,
  fleet,
  janitorFor,
  type SkippedRun,
  startRun,
  withLease,
} from './janitor.ts';
import { logger, metrics } from './observability.ts';
import { sourceMappedErrors } from './source-mapped-errors.ts';

const lambdaHandler = async (event: unknown, context: Context): Promise<Report | SkippedRun> => {
  const parsed = parseSweepEvent(event, fleet.eventSource);
  const tenant = selectTenant(parsed.tenant, fleet.tenants, SWEEP_DETAIL_TYPE);
  const { config, janitor } = janitorFor(tenant);
  const request = enforceEventLimits(parsed, eventLimitsOf(config), SWEEP_DETAIL_TYPE);
  const runId = startRun(request.trigger, tenant);
  const deadline = deadlineOf(context);
  const warnings: WarnedJob[] = [];
  return withLease({ tenant, runId, deadline, trigger: request.trigger }, () =>
    completeRun(
      janitor.sweep({
        ...request,
        runId,
        deadline,
        warnings: warningWindow(request, config),
        onWarning: (warned) => warnings.push(warned),
      }),
      { tenant, sweep: true, context, warnings },
    ),
  );
};

/**
 * Warnings are for scheduled runs only, timed by the schedule's own time (not the clock): the
 * window is the period that ends at the scheduled time. On demand and from the CLI: none.
 */
function warningWindow(request: SweepRequest, config: JanitorConfig): WarningWindow | undefined {
  const scheduledAt = request.scheduledTime ? Date.parse(request.scheduledTime) : Number.NaN;
  if (request.trigger !== 'schedule' || Number.isNaN(scheduledAt)) return undefined;
  if (config.warnBeforeMs === undefined || config.schedulePeriodMs === undefined) return undefined;
  return { scheduledAt, periodMs: config.schedulePeriodMs, warnBeforeMs: config.warnBeforeMs };
}

// First, so that on an error it runs last: after the metrics are flushed.
export const handler = middy(lambdaHandler)
  .use(sourceMappedErrors())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
