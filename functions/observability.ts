/**
 * Powertools Logger and Metrics for both functions, created once per execution environment.
 * `POWERTOOLS_SERVICE_NAME` keeps its usual meaning; the janitor's name is only the fallback.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  CAPACITY_METRICS,
  COUNT_METRICS,
  DURATION_METRIC,
  SERVICE_NAME,
  TRUNCATED_METRIC,
} from '../lib/contract/names.ts';
import type { Report } from '../lib/janitor/index.ts';
import { fromVariadic } from '../lib/log.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ? undefined : SERVICE_NAME;

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName });
/** The logger as the janitor's `Log`. */
export const log = fromVariadic(logger);

/** Emits the report's counts, truncation and duration as EMF metrics. */
export function recordMetrics(report: Report): void {
  for (const [count, name] of Object.entries(COUNT_METRICS)) {
    metrics.addMetric(name, MetricUnit.Count, report.counts[count as keyof typeof COUNT_METRICS]);
  }
  metrics.addMetric(TRUNCATED_METRIC, MetricUnit.Count, report.truncated ? 1 : 0);
  metrics.addMetric(DURATION_METRIC, MetricUnit.Milliseconds, report.durationMs);
  if (report.capacity === undefined || report.capacity === 'unknown') return;
  for (const [source, { before }] of Object.entries(report.capacity)) {
    for (const slot of ['running', 'queued'] as const) {
      // A single metric is flushed by its first addMetric: one per value, or the second loses
      // its dimension.
      const bySource = metrics.singleMetric();
      bySource.addDimension('source', source);
      bySource.addMetric(CAPACITY_METRICS[slot], MetricUnit.Count, before[slot]);
    }
  }
}
