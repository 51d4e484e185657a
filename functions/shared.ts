/**
 * What both functions share, created once per execution environment: Powertools Logger and
 * Metrics, the validated configuration (invalid configuration fails the cold start with one
 * message), the secret cache and the token cache.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config.ts';
import { SecretsManagerCredentials } from '../lib/credentials.ts';
import { createJanitor, describeError, newRunId, type Report } from '../lib/janitor/index.ts';
import { TokenCache } from '../lib/zuora/auth.ts';

export const logger = new Logger({ serviceName: 'query-janitor' });
export const metrics = new Metrics({ serviceName: 'query-janitor' });

/** Adapts Powertools' variadic log methods to the janitor's `Log` interface. */
function forward(level: 'debug' | 'info' | 'warn' | 'error') {
  return (message: string, attributes?: Record<string, unknown>) =>
    attributes ? logger[level](message, attributes as LogAttributes) : logger[level](message);
}

const config = loadConfig(process.env, { requireSecretId: true });

export const janitor = createJanitor({
  config,
  credentials: new SecretsManagerCredentials({
    secretId: config.secretId as string,
    fallbackBaseUrl: config.baseUrl,
  }),
  tokens: new TokenCache(),
  log: {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
  },
});

/** The run's deadline: the invocation's end, less a margin to return and flush metrics. */
export function deadlineOf(context: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context.getRemainingTimeInMillis();
  return Date.now() + remaining - Math.min(3_000, remaining / 5);
}

const METRIC_OF = {
  scanned: 'JobsScanned',
  stale: 'JobsStale',
  cancelled: 'JobsCancelled',
  wouldCancel: 'JobsWouldCancel',
  alreadyFinished: 'JobsAlreadyFinished',
  notFound: 'JobsNotFound',
  protected: 'JobsProtected',
  deferred: 'JobsDeferred',
  failed: 'JobsFailed',
} as const;

/** Emits the report's counts, truncation and duration as EMF metrics. */
function recordMetrics(report: Report): void {
  for (const [count, name] of Object.entries(METRIC_OF)) {
    metrics.addMetric(name, MetricUnit.Count, report.counts[count as keyof typeof METRIC_OF]);
  }
  metrics.addMetric('RunTruncated', MetricUnit.Count, report.truncated ? 1 : 0);
  metrics.addMetric('RunDuration', MetricUnit.Milliseconds, report.durationMs);
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
    throw error;
  }
}
