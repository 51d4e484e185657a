/**
 * The janitor as both functions run it, created once per execution environment: the validated
 * configuration (invalid configuration fails the cold start with one message), the secret and
 * token caches, and how an invocation starts and completes a run.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { SecretsManagerCredentials } from '../lib/aws/secrets-manager.ts';
import { loadConfig } from '../lib/config.ts';
import { FAILED_RUN_METRIC } from '../lib/contract/names.ts';
import type { EventLimits } from '../lib/events.ts';
import { createJanitor, describeError, newRunId, type Report } from '../lib/janitor/index.ts';
import { TokenCache } from '../lib/zuora/auth.ts';
import { log, logger, metrics, recordMetrics } from './observability.ts';

const config = loadConfig(process.env, { requireSecretId: true });

/** What events may change in this deployment's runs (more careful, never less). */
export const eventLimits: EventLimits = {
  dryRun: config.dryRun,
  staleAfterFloorMs: config.eventStaleAfterFloorMs,
};

/** A cancel request left work that a redrive could finish; the event is kept. */
export class IncompleteRunError extends Error {
  override name = 'IncompleteRunError';
}

export const janitor = createJanitor({
  config,
  credentials: new SecretsManagerCredentials({
    secretId: config.secretId as string,
    fallbackBaseUrl: config.baseUrl,
  }),
  tokens: new TokenCache(),
  log,
});

/** The run's deadline: the invocation's end, less a margin to return and flush metrics. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context.getRemainingTimeInMillis();
  return Date.now() + remaining - Math.min(3_000, remaining / 5);
}

/** Starts a run: a new run id, added (with the trigger) to every log line of the invocation. */
export function startRun(trigger: Report['trigger']): string {
  const runId = newRunId();
  logger.appendKeys({ runId, trigger });
  return runId;
}

/**
 * Waits for the run, emits its metrics and returns the report. A run that failed as a whole
 * (no report) is logged with a safe message and rethrown, so the invocation fails.
 */
export async function completeRun(run: Promise<Report>): Promise<Report> {
  try {
    const report = await run;
    recordMetrics(report);
    return report;
  } catch (error) {
    logger.error('run failed', { error: describeError(error), errorName: (error as Error)?.name });
    metrics.addMetric(FAILED_RUN_METRIC, MetricUnit.Count, 1);
    throw error;
  }
}
