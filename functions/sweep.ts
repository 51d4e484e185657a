/**
 * Sweep function: invoked by a tenant's EventBridge Scheduler schedule
 * (`{"trigger":"schedule","tenant":…}`) and by the `Sweep Query Jobs` command. Sweeps one tenant
 * under its lease and returns the run report (or says the run was skipped).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SWEEP_DETAIL_TYPE } from '../lib/contract/names.ts';
import { enforceEventLimits, parseSweepEvent, selectTenant } from '../lib/events.ts';
import type { Report } from '../lib/janitor/index.ts';
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

const lambdaHandler = async (event: unknown, context: Context): Promise<Report | SkippedRun> => {
  const parsed = parseSweepEvent(event);
  const tenant = selectTenant(parsed.tenant, fleet.tenants, SWEEP_DETAIL_TYPE);
  const { config, janitor } = janitorFor(tenant);
  const request = enforceEventLimits(parsed, eventLimitsOf(config), SWEEP_DETAIL_TYPE);
  const runId = startRun(request.trigger, tenant);
  const deadline = deadlineOf(context);
  return withLease({ tenant, runId, deadline, trigger: request.trigger }, () =>
    completeRun(janitor.sweep({ ...request, runId, deadline }), { tenant, sweep: true }),
  );
};

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
