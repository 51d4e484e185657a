/**
 * Sweep function: invoked by the EventBridge Scheduler (`{"trigger":"schedule"}`) and by the
 * `Sweep Query Jobs` event. Returns the run report.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SWEEP_DETAIL_TYPE } from '../lib/contract/names.ts';
import { enforceEventLimits, parseSweepEvent } from '../lib/events.ts';
import type { Report } from '../lib/janitor/index.ts';
import { completeRun, deadlineOf, eventLimits, janitor, startRun } from './janitor.ts';
import { logger, metrics } from './observability.ts';

const lambdaHandler = async (event: unknown, context: Context): Promise<Report> => {
  const request = enforceEventLimits(parseSweepEvent(event), eventLimits, SWEEP_DETAIL_TYPE);
  const runId = startRun(request.trigger);
  return completeRun(janitor.sweep({ ...request, runId, deadline: deadlineOf(context) }));
};

export const handler = middy(lambdaHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
