/**
 * Cancel function: invoked by the `Cancel Query Jobs` event. Cancels the named jobs that are
 * still running and not protected, and returns the run report.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseCancelEvent } from '../lib/events.ts';
import { newRunId, type Report } from '../lib/janitor/index.ts';
import { deadlineOf, janitor, logFailure, logger, metrics, recordMetrics } from './shared.ts';

const lambdaHandler = async (event: unknown, context: Context): Promise<Report> => {
  const request = parseCancelEvent(event);
  const runId = newRunId();
  logger.appendKeys({ runId, trigger: 'cancel-event' });
  logger.info('cancel requested', { jobIds: request.jobIds, reason: request.reason });
  const report = await janitor
    .cancel(request.jobIds, {
      trigger: 'cancel-event',
      runId,
      dryRun: request.dryRun,
      reason: request.reason,
      deadline: deadlineOf(context),
    })
    .catch(logFailure);
  recordMetrics(report);
  return report;
};

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
