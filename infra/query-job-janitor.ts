/**
 * `QueryJobJanitor`: the whole janitor as one reusable construct. Two functions (sweep and
 * cancel), an EventBridge Scheduler schedule, EventBridge rules for the two custom events, a
 * queue that keeps every refused or failed event, alarms and a dashboard. Safe by default:
 * dry-run on, least-privilege IAM, nothing retried blindly.
 *
 * This file imports no runtime code; the few names it shares with `lib/` (event detail-types,
 * metric names, variable names) are contracts and are tested on both sides.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Detail-types of the custom events (the functions' contract). */
export const SWEEP_DETAIL_TYPE = 'Sweep Query Jobs';
export const CANCEL_DETAIL_TYPE = 'Cancel Query Jobs';
/** Powertools service name: the `service` dimension of every metric. */
export const SERVICE_NAME = 'query-janitor';

/** Prefer ESM entry points, so the ESM bundle never hits a CommonJS dynamic require at run time. */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/**
 * Module substitutions in the Lambda bundles: Lambda always has its credentials in the
 * environment, so the SDK's full credential chain is replaced by the environment provider.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/lambda-credentials.ts',
};

/** Settings of {@link QueryJobJanitor}. Policy settings map to the `JANITOR_*` variables. */
export interface QueryJobJanitorProps {
  /**
   * The secret holding `{"clientId","clientSecret","baseUrl"?}`.
   * @default a new secret with empty fields, for ops to fill (its name is a stack output)
   */
  readonly secret?: secretsmanager.ISecret;
  /** Zuora base URL used when the secret has none (`ZUORA_BASE_URL`). */
  readonly baseUrl?: string;
  /** @default every 15 minutes */
  readonly schedule?: scheduler.ScheduleExpression;
  /** Period of `schedule`, used for the sweep's maximum event age and alarm periods. @default 15 minutes */
  readonly schedulePeriod?: Duration;
  /** `source` of the custom events. @default 'query-janitor' */
  readonly eventSource?: string;
  /** Report what would be cancelled, cancel nothing. @default true */
  readonly dryRun?: boolean;
  /** `JANITOR_STALE_AFTER`, e.g. '2h', '90m', 'PT2H'. @default '2h' */
  readonly staleAfter?: string;
  readonly staleAfterAccepted?: string;
  readonly staleAfterInProgress?: string;
  /** @default 25 */
  readonly maxCancelsPerRun?: number;
  /** Cancels in flight at once, 1 to 10. @default 4 */
  readonly concurrency?: number;
  readonly protectCreatedBy?: readonly string[];
  readonly protectQueryPattern?: string;
  readonly onlyCreatedBy?: readonly string[];
  readonly entityIds?: readonly string[];
  readonly orgIds?: readonly string[];
  /** Where alarms notify. @default no notification (alarms still show in CloudWatch) */
  readonly alarmTopic?: sns.ITopic;
  /** @default 'QueryJanitor' */
  readonly metricsNamespace?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** The janitor: sweep and cancel functions, schedule, rules, failed-event queue, alarms. */
export class QueryJobJanitor extends Construct {
  readonly secret: secretsmanager.ISecret;
  readonly sweepFunction: nodejs.NodejsFunction;
  readonly cancelFunction: nodejs.NodejsFunction;
  /** Keeps refused and failed events (on-failure destination and dead-letter queue). */
  readonly failedEvents: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #logRetention: logs.RetentionDays;

  constructor(scope: Construct, id: string, props: QueryJobJanitorProps = {}) {
    super(scope, id);
    validate(props);
    this.#logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const schedulePeriod = props.schedulePeriod ?? Duration.minutes(15);
    const namespace = props.metricsNamespace ?? 'QueryJanitor';
    const eventSource = props.eventSource ?? 'query-janitor';

    this.secret = props.secret ?? this.#createSecret();

    this.failedEvents = new sqs.Queue(this, 'FailedEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedEvents).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter and on-failure destination; ops inspect and redrive it by hand.',
    });

    const environment = environmentFor(props, this.secret, namespace);
    this.sweepFunction = this.#function('SweepFunction', {
      entry: 'functions/sweep.ts',
      description: 'Cancels stale Zuora Data Query jobs (scheduled and on demand)',
      timeout: Duration.minutes(5),
      environment,
      // Overlapping sweeps would race each other for the same jobs: one at a time.
      reservedConcurrentExecutions: 1,
      maxEventAge: schedulePeriod,
    });
    this.cancelFunction = this.#function('CancelFunction', {
      entry: 'functions/cancel.ts',
      description: 'Cancels named Zuora Data Query jobs on request',
      timeout: Duration.minutes(2),
      environment,
      maxEventAge: Duration.hours(1),
    });

    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the query-janitor sweep',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(this.sweepFunction)}.Arn>:*]`,
      reason: 'The target grant covers the sweep function and its versions only.',
    });
    new scheduler.Schedule(this, 'SweepSchedule', {
      description: 'Runs the query-janitor sweep',
      schedule: props.schedule ?? scheduler.ScheduleExpression.rate(schedulePeriod),
      target: new schedulerTargets.LambdaInvoke(this.sweepFunction, {
        input: scheduler.ScheduleTargetInput.fromObject({
          trigger: 'schedule',
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          executionId: scheduler.ContextAttribute.executionId,
        }),
        role: schedulerRole,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(10),
        deadLetterQueue: this.failedEvents,
      }),
    });

    // One rule per detail-type, so each function only ever receives its own event.
    for (const [ruleId, detailType, fn] of [
      ['SweepEventRule', SWEEP_DETAIL_TYPE, this.sweepFunction],
      ['CancelEventRule', CANCEL_DETAIL_TYPE, this.cancelFunction],
    ] as const) {
      new events.Rule(this, ruleId, {
        description: `Routes "${detailType}" events from ${eventSource} to the janitor`,
        eventPattern: { source: [eventSource], detailType: [detailType] },
        targets: [
          new eventTargets.LambdaFunction(fn, {
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: this.failedEvents,
          }),
        ],
      });
    }

    this.#alarms(props.alarmTopic, namespace, schedulePeriod);
    this.#dashboard(namespace, schedulePeriod);
  }

  #createSecret(): secretsmanager.Secret {
    // Placeholder fields only: the janitor reports "clientId: must be a non-empty string" until
    // ops put the real credentials in with `aws secretsmanager put-secret-value`.
    const secret = new secretsmanager.Secret(this, 'ZuoraCredentials', {
      description:
        'Zuora OAuth client credentials for query-janitor: {"clientId","clientSecret","baseUrl"}',
      secretObjectValue: {
        clientId: SecretValue.unsafePlainText(''),
        clientSecret: SecretValue.unsafePlainText(''),
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Zuora OAuth clients are rotated in Zuora by ops; the janitor re-reads the secret when Zuora rejects it.',
    });
    new CfnOutput(this, 'SecretName', {
      description: 'Put the Zuora client credentials into this secret',
      value: secret.secretName,
    });
    return secret;
  }

  #function(
    id: 'SweepFunction' | 'CancelFunction',
    options: {
      entry: string;
      description: string;
      timeout: Duration;
      environment: Record<string, string>;
      maxEventAge: Duration;
      reservedConcurrentExecutions?: number;
    },
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: this.#logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own: logs for this function's group, the secret, and nothing else.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `query-janitor ${id}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // A secret imported by name has only a partial ARN: match its 6-character suffix.
        resources: [this.secret.secretFullArn ?? `${this.secret.secretArn}-??????`],
      }),
    );
    this.secret.encryptionKey?.grantDecrypt(role);

    const fn = new nodejs.NodejsFunction(this, id, {
      entry: path.join(ROOT, options.entry),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: path.join(ROOT, 'package-lock.json'),
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: options.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
      reservedConcurrentExecutions: options.reservedConcurrentExecutions,
      // The code retries Zuora calls itself; a replayed run could double-act, so never retry.
      retryAttempts: 0,
      maxEventAge: options.maxEventAge,
      onFailure: new destinations.SqsDestination(this.failedEvents),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK too (pinned, tree-shaken).
        externalModules: [],
        mainFields: BUNDLE_MAIN_FIELDS,
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        forceDockerBundling: false,
      },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 24 is the runtime this code is built and tested for.',
    });
    return fn;
  }

  #alarms(topic: sns.ITopic | undefined, namespace: string, period: Duration): void {
    const add = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (topic) {
        alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
        alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
      }
      this.alarms.push(alarm);
    };
    add(
      'SweepErrorsAlarm',
      'The sweep function failed: Zuora or Secrets Manager unreachable, bad credentials or configuration. See its logs.',
      this.sweepFunction.metricErrors({ period, statistic: 'Sum' }),
    );
    add(
      'CancelErrorsAlarm',
      'The cancel function failed or refused an event. See its logs and the failed-events queue.',
      this.cancelFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
    add(
      'FailedEventsAlarm',
      'Events were refused or failed and are kept in the failed-events queue: inspect, fix, redrive or delete.',
      this.failedEvents.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    add(
      'CancelFailuresAlarm',
      'Some jobs could not be cancelled (report outcome "failed"). See the "query job" log records with outcome failed.',
      new cloudwatch.Metric({
        namespace,
        metricName: 'JobsFailed',
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period,
      }),
    );
  }

  #dashboard(namespace: string, period: Duration): void {
    const count = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace,
        metricName,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: 'Sum',
        period,
        label,
      });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Query jobs per sweep',
        width: 12,
        left: [
          count('JobsScanned', 'scanned'),
          count('JobsStale', 'stale'),
          count('JobsCancelled', 'cancelled'),
          count('JobsWouldCancel', 'would cancel'),
          count('JobsDeferred', 'deferred'),
          count('JobsProtected', 'protected'),
          count('JobsFailed', 'failed'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors and kept events',
        width: 12,
        left: [
          this.sweepFunction.metricErrors({ period }),
          this.cancelFunction.metricErrors({ period }),
          count('RunTruncated', 'truncated runs'),
        ],
        right: [this.failedEvents.metricApproximateNumberOfMessagesVisible({ period })],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: this.alarms }),
    );
  }
}

function logicalId(construct: Construct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as lambda.CfnFunction);
}

function environmentFor(
  props: QueryJobJanitorProps,
  secret: secretsmanager.ISecret,
  namespace: string,
): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ZUORA_SECRET_ID: secret.secretArn,
    ZUORA_BASE_URL: props.baseUrl,
    ZUORA_ENTITY_IDS: props.entityIds?.join(','),
    ZUORA_ORG_IDS: props.orgIds?.join(','),
    JANITOR_DRY_RUN: String(props.dryRun ?? true),
    JANITOR_STALE_AFTER: props.staleAfter,
    JANITOR_STALE_AFTER_ACCEPTED: props.staleAfterAccepted,
    JANITOR_STALE_AFTER_IN_PROGRESS: props.staleAfterInProgress,
    JANITOR_MAX_CANCELS_PER_RUN: props.maxCancelsPerRun?.toString(),
    JANITOR_CONCURRENCY: props.concurrency?.toString(),
    JANITOR_PROTECT_CREATED_BY: props.protectCreatedBy?.join(','),
    JANITOR_PROTECT_QUERY_PATTERN: props.protectQueryPattern,
    JANITOR_ONLY_CREATED_BY: props.onlyCreatedBy?.join(','),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: namespace,
    POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
  };
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

const DURATION = /^(\d+(\.\d+)?[smhd]|P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/i;

/** Catches mistakes at synth time rather than at the functions' first cold start. */
function validate(props: QueryJobJanitorProps): void {
  const problems: string[] = [];
  for (const key of ['staleAfter', 'staleAfterAccepted', 'staleAfterInProgress'] as const) {
    const value = props[key];
    if (value !== undefined && !DURATION.test(value)) {
      problems.push(`${key} must be a duration such as 90m, 2h, 1d or PT2H (got "${value}")`);
    }
  }
  if (
    props.concurrency !== undefined &&
    !(Number.isInteger(props.concurrency) && props.concurrency >= 1 && props.concurrency <= 10)
  ) {
    problems.push('concurrency must be a whole number from 1 to 10');
  }
  if (
    props.maxCancelsPerRun !== undefined &&
    !(Number.isInteger(props.maxCancelsPerRun) && props.maxCancelsPerRun >= 1)
  ) {
    problems.push('maxCancelsPerRun must be a whole number of at least 1');
  }
  if (props.protectQueryPattern !== undefined) {
    try {
      new RegExp(props.protectQueryPattern);
    } catch {
      problems.push('protectQueryPattern must be a valid regular expression');
    }
  }
  if (problems.length > 0) throw new Error(`QueryJobJanitor: ${problems.join('; ')}`);
}
