/**
 * Cancel function: invoked by the `Cancel Query Jobs` command. Cancels the named jobs of one
 * tenant that are still running and not protected, under the tenant's lease, and returns the
 * run report. Nothing requested is lost: when jobs are left deferred, or failed for a cause a
 * retry could fix, the invocation fails with the report's counts, so the event is kept in the
 * failed-events queue for redrive.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CANCEL_DETAIL_TYPE } from '../lib/contract/names.ts';
import { enforceEventLimits, parseCancelEvent, selectTenant } from '../lib/events.ts';
import { type Report, unfinishedWork } from '../lib/janitor/index.ts';
import {
  completeRun,
  deadlineOf,
  eventLimitsOf,
  fleet,
  IncompleteRunError,
  janitorFor,
  startRun,
  withLease,
} from './janitor.ts';
import { logger, metrics } from './observability.ts';
import { sourceMappedErrors } from './source-mapped-errors.ts';

const lambdaHandler = async (event: unknown, context: Context): Promise<Report> => {
  const parsed = parseCancelEvent(event, fleet.eventSource);
  const tenant = selectTenant(parsed.tenant, fleet.tenants, CANCEL_DETAIL_TYPE);
  const { config, janitor } = janitorFor(tenant);
  const request = enforceEventLimits(parsed, eventLimitsOf(config), CANCEL_DETAIL_TYPE);
  const runId = startRun('cancel-event', tenant);
  const deadline = deadlineOf(context);
  logger.info('cancel requested', { jobIds: request.jobIds, reason: request.reason });
  const report = (await withLease({ tenant, runId, deadline, trigger: 'cancel-event' }, () =>
    completeRun(
      janitor.cancel(request.jobIds, {
        trigger: 'cancel-event',
        runId,
        dryRun: request.dryRun,
        reason: request.reason,
        deadline,
      }),
      { tenant, sweep: false, context },
    ),
  )) as Report;
  const unfinished = unfinishedWork(report);
  if (unfinished) {
    logger.warn('cancel request incomplete: the event is kept for redrive', { report });
    throw new IncompleteRunError(unfinished);
  }
  return report;
};

// First, so that on an error it runs last: after the metrics are flushed.
export const handler = middy(lambdaHandler)
  .use(sourceMappedErrors())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
