/**
 * Cancel function: invoked by the `Cancel Query Jobs` event. Cancels the named jobs that are
 * still running and not protected, and returns the run report.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseCancelEvent } from '../lib/events.ts';
import type { Report } from '../lib/janitor/index.ts';
import { completeRun, deadlineOf, janitor, startRun } from './janitor.ts';
import { logger, metrics } from './observability.ts';

const lambdaHandler = async (event: unknown, context: Context): Promise<Report> => {
  const { jobIds, reason, dryRun } = parseCancelEvent(event);
  const runId = startRun('cancel-event');
  logger.info('cancel requested', { jobIds, reason });
  return completeRun(
    janitor.cancel(jobIds, {
      trigger: 'cancel-event',
      runId,
      dryRun,
      reason,
      deadline: deadlineOf(context),
    }),
  );
};

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
