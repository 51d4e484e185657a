/**
 * The janitor's alarms and dashboard. They are added to the janitor's own scope (not a scope of
 * their own) so that every alarm keeps the logical id it had when the janitor was one file.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CAPACITY_SOURCES, ZUORA_CAPACITY } from '../lib/contract/limits.ts';
import {
  CAPACITY_METRICS,
  COUNT_METRICS,
  SERVICE_NAME,
  SWEEP_SUCCEEDED_METRIC,
  TRUNCATED_METRIC,
  UNPUBLISHED_EVENTS_METRIC,
} from '../lib/contract/names.ts';
import { longestGapMs } from '../lib/contract/schedule.ts';
import type { ResolvedTenant } from '../lib/contract/settings.ts';
import { janitorOutput } from './outputs.ts';

/** What the monitoring watches. */
export interface MonitoringProps {
  readonly sweepFunction: lambda.IFunction;
  readonly cancelFunction: lambda.IFunction;
  readonly failedEvents: sqs.IQueue;
  /** Namespace of the janitor's EMF metrics. */
  readonly namespace: string;
  /** The schedule's period: metrics are summed over it. */
  readonly period: Duration;
  /** Where alarms notify; none means they only show in CloudWatch. */
  readonly alarmTopic?: sns.ITopic | undefined;
  /** The enabled tenants: each gets an alarm that fires when its sweeps stop succeeding. */
  readonly tenants: readonly ResolvedTenant[];
  /** The functions' timeouts: a run close to its timeout is alarmed. */
  readonly timeouts: { readonly sweep: Duration; readonly cancel: Duration };
}

/** Adds the alarms and the dashboard to `scope`; returns the alarms. */
export function addMonitoring(scope: Construct, props: MonitoringProps): cloudwatch.Alarm[] {
  const { namespace, period } = props;
  const janitorMetric = (metricName: string, label?: string) =>
    new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { service: SERVICE_NAME },
      statistic: 'Sum',
      period,
      ...(label ? { label } : {}),
    });

  const alarms: cloudwatch.Alarm[] = [];
  /** Keeps the alarm for the dashboard, and tells the topic when it fires and when it clears. */
  const notify = (created: cloudwatch.Alarm) => {
    if (props.alarmTopic) {
      created.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
      created.addOkAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }
    alarms.push(created);
  };
  const alarm = (id: string, description: string, metric: cloudwatch.IMetric) => {
    const created = new cloudwatch.Alarm(scope, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    notify(created);
  };
  alarm(
    'SweepErrorsAlarm',
    'A sweep failed as a whole. Cause: Zuora or Secrets Manager unreachable, credentials rejected or missing, a bad configuration, the lease table failing (its error named). Action: read the sweep function\'s "run failed" log records (tenant, error); fix the secret, the file or the table\'s access; the next scheduled run retries.',
    props.sweepFunction.metricErrors({ period, statistic: 'Sum' }),
  );
  alarm(
    'CancelErrorsAlarm',
    "A cancel command failed or was refused. Cause: a malformed event or unknown tenant (refused), Zuora unreachable, or work left undone (deferred or retryable failures). Action: read the cancel function's log; the event is kept in the failed-events queue: fix the cause, then query-janitor redrive.",
    props.cancelFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
  );
  alarm(
    'FailedEventsAlarm',
    'The failed-events queue holds events. Cause: refused or failed commands, failed scheduled runs, throttled or undeliverable schedules (an unfilled secret adds one every period). Action: query-janitor redrive --queue-url <FailedEventsQueueUrl> shows each and what re-sending does; fix the cause, then --apply, or purge.',
    props.failedEvents.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
  );
  for (const tenant of props.tenants) {
    // Two periods without a successful sweep, counting no data as failure: a schedule that
    // stopped, a function that cannot start, a secret that was never filled all look the same.
    const {
      period: tenantPeriod,
      periods,
      coversTwoGaps,
    } = notRunWindow(longestGapMs(tenant.schedule));
    if (!coversTwoGaps) {
      Annotations.of(scope).addWarningV2(
        `query-janitor:not-run-window:${tenant.name}`,
        `Tenant ${tenant.name}: its schedule (${tenant.schedule}) can leave more than 3.5 days between runs, or its gaps are not known from a sample week; its "has not run" alarm looks back at most 7 days (CloudWatch's limit), so it may fire while the tenant waits for its next run.`,
      );
    }
    const notRun = new cloudwatch.Alarm(scope, `NotRunAlarm-${tenant.name}`, {
      alarmDescription: `Tenant ${tenant.name}: no successful sweep for two schedule periods. Cause: the schedule is disabled or failing, the function cannot start (bad configuration), or every run fails (secret empty or wrong, Zuora unreachable). Action: read the sweep function's "run failed" log records for tenant ${tenant.name} and the failed-events queue.`,
      metric: new cloudwatch.Metric({
        namespace,
        metricName: SWEEP_SUCCEEDED_METRIC,
        dimensionsMap: { service: SERVICE_NAME, tenant: tenant.name },
        statistic: 'Sum',
        period: tenantPeriod,
      }),
      threshold: 1,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    notify(notRun);
  }
  alarm(
    'ThrottlesAlarm',
    "Invocations were throttled. Cause: the account is out of concurrency, or the kill switch (reserved concurrency 0) is on. Throttled scheduled runs and commands end in the failed-events queue. Action: check the functions' reserved concurrency and the account's concurrent executions.",
    new cloudwatch.MathExpression({
      expression: 'sweep + cancel',
      usingMetrics: {
        sweep: props.sweepFunction.metricThrottles({ statistic: 'Sum' }),
        cancel: props.cancelFunction.metricThrottles({ statistic: 'Sum' }),
      },
      period: Duration.minutes(5),
      label: 'throttles',
    }),
  );
  for (const [id, fn, timeout] of [
    ['SweepNearTimeoutAlarm', props.sweepFunction, props.timeouts.sweep],
    ['CancelNearTimeoutAlarm', props.cancelFunction, props.timeouts.cancel],
  ] as const) {
    const limit = timeout.toMilliseconds() * 0.8;
    const near = new cloudwatch.Alarm(scope, id, {
      alarmDescription: `A run took over 80% of the function's ${timeout.toSeconds()} s timeout: the next may be cut off (work left is deferred, not lost). Cause: a slow Zuora, many tenants' worth of jobs, or a hanging dependency. Action: read the run's "run finished" record (durationMs, deferred) and raise the timeout with functionProps, or lower maxCancelsPerRun.`,
      metric: fn.metricDuration({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: limit,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    notify(near);
  }
  alarm(
    'UnpublishedEventsAlarm',
    'Result events could not be published to the janitor\'s bus (what was cancelled is unchanged; the audit trail and notifications miss them). Cause: PutEvents refused or throttled, a missing permission, the bus policy. Action: read the "result events not published" log records (error codes) and check the functions\' events:PutEvents permission and the bus policy.',
    janitorMetric(UNPUBLISHED_EVENTS_METRIC),
  );
  alarm(
    'CancelFailuresAlarm',
    'Some jobs could not be cancelled (outcome failed). Cause: a 403 (a non-admin client and another user\'s job), Zuora errors after retries, a lost answer that could not be confirmed. Action: find the "query job" log records with outcome failed; their error names the call, the status and the Zuora-Request-Id.',
    janitorMetric(COUNT_METRICS.failed),
  );

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(7),
  });
  janitorOutput(scope, 'DashboardName', {
    description: "The janitor's CloudWatch dashboard",
    value: dashboard.dashboardName,
  });
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Query jobs per sweep',
      width: 12,
      left: [
        janitorMetric(COUNT_METRICS.scanned, 'scanned'),
        janitorMetric(COUNT_METRICS.stale, 'stale'),
        janitorMetric(COUNT_METRICS.cancelled, 'cancelled'),
        janitorMetric(COUNT_METRICS.wouldCancel, 'would cancel'),
        janitorMetric(COUNT_METRICS.deferred, 'deferred'),
        janitorMetric(COUNT_METRICS.protected, 'protected'),
        janitorMetric(COUNT_METRICS.failed, 'failed'),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Errors and kept events',
      width: 12,
      left: [
        props.sweepFunction.metricErrors({ period }),
        props.cancelFunction.metricErrors({ period }),
        janitorMetric(TRUNCATED_METRIC, 'truncated runs'),
      ],
      right: [props.failedEvents.metricApproximateNumberOfMessagesVisible({ period })],
    }),
    ...CAPACITY_SOURCES.map(
      (source) =>
        new cloudwatch.GraphWidget({
          title: `${source} Data Query capacity, fullest tenant (limits ${ZUORA_CAPACITY[source].running} running, ${ZUORA_CAPACITY[source].queued} queued)`,
          width: 12,
          left: (['running', 'queued'] as const).map(
            (slot) =>
              new cloudwatch.Metric({
                namespace,
                metricName: CAPACITY_METRICS[slot],
                dimensionsMap: { service: SERVICE_NAME, source },
                statistic: 'Maximum',
                period,
                label: `${slot} (max over tenants)`,
              }),
          ),
          leftAnnotations: [
            { value: ZUORA_CAPACITY[source].queued, label: 'queue limit', color: '#d62728' },
            { value: ZUORA_CAPACITY[source].running, label: 'running limit', color: '#ff7f0e' },
          ],
        }),
    ),
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms }),
  );
  return alarms;
}

const HOUR_S = 3_600;
const DAY_S = 24 * HOUR_S;
/** The longest an alarm can look back: seven days, and one day for periods under an hour. */
const MAX_WINDOW_S = 7 * DAY_S;

/**
 * How a "has not run" alarm looks back over two schedule periods: for a cron expression, its
 * longest gap is the period (a weekday schedule's weekend), so it never alarms on a quiet that
 * is planned. CloudWatch takes periods up to a day and windows up to seven days (one, for
 * periods under an hour); a schedule whose gap is unknown (weekly, monthly) gets the longest.
 */
export function notRunWindow(gapMs: number | undefined): {
  period: Duration;
  periods: number;
  /** Whether the window is two of the longest gaps: false when that is unknown, or too long. */
  coversTwoGaps: boolean;
} {
  const gap = gapMs === undefined ? MAX_WINDOW_S / 2 : Math.ceil(gapMs / 60_000) * 60;
  const period = Math.max(60, Math.min(DAY_S, gap));
  const limit = period < HOUR_S ? DAY_S : MAX_WINDOW_S;
  const periods = Math.max(2, Math.min(Math.floor(limit / period), Math.ceil((2 * gap) / period)));
  return {
    period: Duration.seconds(period),
    periods,
    coversTwoGaps: gapMs !== undefined && 2 * gapMs <= MAX_WINDOW_S * 1000,
  };
}
