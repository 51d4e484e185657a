/**
 * `QueryJobJanitor`: the whole janitor as one reusable construct. Two functions (sweep and
 * cancel), an EventBridge Scheduler schedule, EventBridge rules for the two custom events, a
 * queue that keeps every refused or failed event, alarms and a dashboard. Safe by default:
 * dry-run on, least-privilege IAM, nothing retried blindly.
 *
 * This file wires the parts together; `janitor-function.ts` builds each function and
 * `monitoring.ts` the alarms and dashboard. From `lib/` it imports the contract only (names,
 * limits and the settings schema), never runtime code.
 */
import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  CANCEL_DETAIL_TYPE,
  DEFAULT_EVENT_SOURCE,
  SERVICE_NAME,
  SWEEP_DETAIL_TYPE,
} from '../lib/contract/names.ts';
import { re2Problem } from '../lib/contract/pattern-check.ts';
import { type JanitorSettings, parseSettings } from '../lib/contract/settings.ts';
import { settingsToEnv } from '../lib/contract/settings-env.ts';
import { createJanitorBus } from './event-bus.ts';
import { JanitorFunction } from './janitor-function.ts';
import { addMonitoring } from './monitoring.ts';

/** Settings of {@link QueryJobJanitor}. Policy settings map to the `JANITOR_*` variables. */
export interface QueryJobJanitorProps extends Omit<JanitorSettings, 'secretId'> {
  /**
   * The secret holding `{"clientId","clientSecret","baseUrl"?}`.
   * @default a new secret with empty fields, for ops to fill (its name is a stack output)
   */
  readonly secret?: secretsmanager.ISecret;
  /** @default every 15 minutes */
  readonly schedule?: scheduler.ScheduleExpression;
  /** Period of `schedule`, used for the sweep's maximum event age and alarm periods. @default 15 minutes */
  readonly schedulePeriod?: Duration;
  /** `source` of the custom events. @default 'query-janitor' */
  readonly eventSource?: string;
  /**
   * IAM principal ARNs that may send commands to the janitor's bus (wildcards allowed).
   * @default none: commands are refused until a sender is named
   */
  readonly commandSenders?: readonly string[];
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
  readonly sweepFunction: lambda.Function;
  readonly cancelFunction: lambda.Function;
  /** Keeps refused and failed events (on-failure destination and dead-letter queue). */
  readonly failedEvents: sqs.Queue;
  /** The janitor's own bus: commands arrive on it, only from the named senders. */
  readonly eventBus: events.EventBus;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: QueryJobJanitorProps = {}) {
    super(scope, id);
    const settings = settingsOf(props);
    const patternWarning =
      settings.protectQueryPattern === undefined
        ? undefined
        : re2Problem(settings.protectQueryPattern);
    if (patternWarning)
      Annotations.of(this).addWarningV2('query-janitor:protect-pattern', patternWarning);
    const schedulePeriod = props.schedulePeriod ?? Duration.minutes(15);
    const namespace = props.metricsNamespace ?? 'QueryJanitor';
    const eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;

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

    const environment: Record<string, string> = {
      ...settingsToEnv({ ...settings, secretId: this.secret.secretArn }),
      // Unset means dry-run too; the template says so explicitly.
      JANITOR_DRY_RUN: String(settings.dryRun ?? true),
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: namespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    const common = {
      environment,
      secret: this.secret,
      failedEvents: this.failedEvents,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    };
    this.sweepFunction = new JanitorFunction(this, 'SweepFunction', {
      ...common,
      entry: 'functions/sweep.ts',
      description: 'Cancels stale Zuora Data Query jobs (scheduled and on demand)',
      timeout: Duration.minutes(5),
      // Overlapping sweeps would race each other for the same jobs: one at a time.
      reservedConcurrentExecutions: 1,
      maxEventAge: schedulePeriod,
    });
    this.cancelFunction = new JanitorFunction(this, 'CancelFunction', {
      ...common,
      entry: 'functions/cancel.ts',
      description: 'Cancels named Zuora Data Query jobs on request',
      timeout: Duration.minutes(2),
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

    this.eventBus = createJanitorBus(this, { commandSenders: props.commandSenders ?? [] });
    // One rule per detail-type, so each function only ever receives its own event.
    for (const [ruleId, detailType, fn] of [
      ['SweepEventRule', SWEEP_DETAIL_TYPE, this.sweepFunction],
      ['CancelEventRule', CANCEL_DETAIL_TYPE, this.cancelFunction],
    ] as const) {
      new events.Rule(this, ruleId, {
        description: `Routes "${detailType}" events from ${eventSource} to the janitor`,
        eventBus: this.eventBus,
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

    this.alarms = addMonitoring(this, {
      sweepFunction: this.sweepFunction,
      cancelFunction: this.cancelFunction,
      failedEvents: this.failedEvents,
      namespace,
      period: schedulePeriod,
      alarmTopic: props.alarmTopic,
    });
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
}

function logicalId(construct: Construct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as lambda.CfnFunction);
}

const SETTING_PROPS = [
  'baseUrl',
  'entityIds',
  'orgIds',
  'dryRun',
  'staleAfter',
  'staleAfterAccepted',
  'staleAfterInProgress',
  'eventStaleAfterFloor',
  'maxCancelsPerRun',
  'concurrency',
  'protectCreatedBy',
  'protectQueryPattern',
  'onlyCreatedBy',
] as const satisfies ReadonlyArray<keyof JanitorSettings>;

/**
 * The janitor settings among the props, checked at synth with the schema the functions use at
 * start-up: a value that would fail every cold start fails the synth instead.
 */
function settingsOf(props: QueryJobJanitorProps): JanitorSettings {
  const settings = Object.fromEntries(
    SETTING_PROPS.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]),
  ) as JanitorSettings;
  const result = parseSettings(settings);
  if (!result.ok) throw new Error(`QueryJobJanitor: ${result.problems.join('; ')}`);
  return settings;
}
