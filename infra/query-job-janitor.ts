/**
 * `QueryJobJanitor`: the whole janitor as one reusable construct, for a fleet of Zuora tenants
 * configured by one file. Two functions (sweep and cancel) that each serve every tenant, one
 * schedule per enabled tenant (staggered), the janitor's own EventBridge bus for commands, a
 * DynamoDB lease so that two sweeps of one tenant never overlap, a queue that keeps every refused
 * or failed event, alarms and a dashboard. Safe by default: dry-run on, commands refused until a
 * sender is named, least-privilege IAM, nothing retried blindly.
 *
 * This file wires the parts together; `janitor-function.ts` builds each function,
 * `event-bus.ts` the bus, `tenant-secrets.ts` the secrets and `monitoring.ts` the alarms and
 * dashboard. From `lib/` it imports the contract only (names, limits, the schema), never
 * runtime code.
 */
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_FLEET,
  type FleetConfig,
  parseFleet,
  type ResolvedFleet,
} from '../lib/contract/fleet.ts';
import { deployTimeSecretsProblem, writeFleetDocument } from '../lib/contract/fleet-document.ts';
import { CANCEL_DETAIL_TYPE, SERVICE_NAME, SWEEP_DETAIL_TYPE } from '../lib/contract/names.ts';
import { re2Problem } from '../lib/contract/pattern-check.ts';
import { flexibleWindowMs } from '../lib/contract/schedule.ts';
import type { ResolvedTenant } from '../lib/contract/settings.ts';
import { createJanitorBus } from './event-bus.ts';
import { FLEET_FILE, JanitorFunction, type JanitorFunctionOverrides } from './janitor-function.ts';
import { addMonitoring } from './monitoring.ts';
import { janitorOutput } from './outputs.ts';
import { addResultEvents } from './results.ts';
import { TenantSecrets } from './tenant-secrets.ts';

/** Settings of {@link QueryJobJanitor}. */
export interface QueryJobJanitorProps {
  /**
   * The configuration: the content of `query-janitor.config.json`, validated at synth with the
   * schema the functions use at start-up.
   * @default one dry-run tenant, `default`, with a secret the stack creates
   */
  readonly config?: FleetConfig;
  /** Secrets you manage, by tenant name; they win over the configuration's `secret`. */
  readonly secrets?: Readonly<Record<string, secretsmanager.ISecret>>;
  /** Changes to both functions: memory, timeout, VPC and subnets (a fixed egress IP), tags. */
  readonly functionProps?: JanitorFunctionOverrides;
  /** Create the alarms and the dashboard. @default true */
  readonly monitoring?: boolean;
  /** Where alarms notify. @default the configuration's `alarmTopicArn`, else none */
  readonly alarmTopic?: sns.ITopic;
  /** @default `QueryJanitor/<stack name>`: two deployments never share metrics */
  readonly metricsNamespace?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** How long a sweep may run; its lease lasts as long, so a crashed run never blocks for good. */
const SWEEP_TIMEOUT = Duration.minutes(5);
/** The longest Lambda keeps an asynchronous event before it gives up on it. */
const MAX_EVENT_AGE_MS = 6 * 3_600_000;
const CANCEL_TIMEOUT = Duration.minutes(2);

/** The janitor: functions, schedules, bus, lease table, failed-event queue, alarms. */
export class QueryJobJanitor extends Construct {
  /** The validated configuration, every tenant resolved. */
  readonly fleet: ResolvedFleet;
  /** Each tenant's secret, by tenant name. */
  readonly secrets: ReadonlyMap<string, secretsmanager.ISecret>;
  readonly sweepFunction: lambda.Function;
  readonly cancelFunction: lambda.Function;
  /** Keeps refused and failed events (on-failure destination and dead-letter queue). */
  readonly failedEvents: sqs.Queue;
  /** The janitor's own bus: commands arrive on it, only from the named senders. */
  readonly eventBus: events.EventBus;
  /** One item per tenant while it is being swept (a conditional lease). */
  readonly leaseTable: dynamodb.TableV2;
  /** The configuration file exactly as the functions find it in their code. */
  readonly fleetDocument: string;
  /** Every result event, kept for the audit (a year by default). */
  readonly auditLog: logs.LogGroup;
  /** The result events, for replay. */
  readonly resultArchive: events.Archive;
  readonly alarms: cloudwatch.Alarm[];
  /** The CloudWatch namespace of its metrics. */
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: QueryJobJanitorProps = {}) {
    super(scope, id);
    const namespace = props.metricsNamespace ?? `QueryJanitor/${Stack.of(this).stackName}`;
    // Two janitors writing one namespace would answer for each other: a tenant's "has not run"
    // alarm would be kept quiet by the other janitor's sweeps of a tenant of the same name.
    const sharing = Stack.of(this)
      .node.findAll()
      .find((c) => c !== this && c instanceof QueryJobJanitor && c.metricsNamespace === namespace);
    if (sharing) {
      throw new Error(
        `QueryJobJanitor: ${sharing.node.path} already writes metrics to ${namespace}: give each janitor in a stack its own metricsNamespace`,
      );
    }
    this.metricsNamespace = namespace;
    // Judged exactly as the functions will read it: as JSON (a key set to undefined is absent).
    // Only a missing configuration means the default: a file that holds `null` is refused.
    const config = asJson(props.config === undefined ? DEFAULT_FLEET : props.config);
    const parsed = parseFleet(config);
    if (!parsed.ok) throw new Error(`QueryJobJanitor: ${parsed.problems.join('; ')}`);
    this.fleet = parsed.fleet;
    this.#warnAboutPatterns();

    // A secret for a tenant the file does not have is a typo: the tenant would get a new, empty
    // secret in its place.
    const names = new Set(this.fleet.tenants.map((tenant) => tenant.name));
    const strays = Object.keys(props.secrets ?? {}).filter((name) => !names.has(name));
    if (strays.length > 0) {
      throw new Error(
        `QueryJobJanitor: secrets names ${strays.map((name) => JSON.stringify(name)).join(', ')}, not a configured tenant (tenants: ${[...names].join(', ')})`,
      );
    }
    const tenantSecrets = new TenantSecrets(this, this.fleet.tenants, props.secrets ?? {});
    this.secrets = tenantSecrets.byTenant;
    this.fleetDocument = writeFleetDocument(config, tenantSecrets.locations);

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

    this.leaseTable = new dynamodb.TableV2(this, 'Leases', {
      partitionKey: { name: 'tenant', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: 'ttl',
      // Leases are transient: nothing in the table outlives a run.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.leaseTable).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'The table holds only short-lived leases; there is nothing to recover.',
    });

    const environment: Record<string, string> = {
      QUERY_JANITOR_FLEET: FLEET_FILE,
      QUERY_JANITOR_LEASE_TABLE: this.leaseTable.tableName,
      ...tenantSecrets.environment,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: namespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    const tooMany = deployTimeSecretsProblem(Object.keys(tenantSecrets.environment).length);
    if (tooMany) throw new Error(`QueryJobJanitor: ${tooMany}`);
    const common = {
      environment,
      fleetDocument: this.fleetDocument,
      failedEvents: this.failedEvents,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      overrides: props.functionProps,
    };
    const shortestPeriod = Math.min(
      ...this.fleet.tenants.map((tenant) => tenant.schedulePeriodMs ?? 15 * 60_000),
    );
    this.sweepFunction = new JanitorFunction(this, 'SweepFunction', {
      ...common,
      name: 'sweep',
      description:
        'Cancels stale Zuora Data Query jobs (scheduled and on demand), one tenant per run',
      timeout: SWEEP_TIMEOUT,
      // A scheduled event older than a period is superseded by the next one; Lambda keeps an
      // event 60 s to 6 h, so a daily schedule's waits at most 6 h.
      maxEventAge: Duration.millis(Math.min(MAX_EVENT_AGE_MS, Math.max(60_000, shortestPeriod))),
    });
    this.cancelFunction = new JanitorFunction(this, 'CancelFunction', {
      ...common,
      name: 'cancel',
      description: 'Cancels named Zuora Data Query jobs on request',
      timeout: CANCEL_TIMEOUT,
      maxEventAge: Duration.hours(1),
    });
    for (const fn of [this.sweepFunction, this.cancelFunction]) {
      tenantSecrets.grantRead(fn);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.leaseTable.tableArn],
        }),
      );
    }

    this.#schedules();
    this.eventBus = createJanitorBus(this, { commandSenders: this.fleet.commandSenders });
    this.#commandRules();
    const results = addResultEvents(this, {
      bus: this.eventBus,
      fleet: this.fleet,
      publishers: [this.sweepFunction, this.cancelFunction],
    });
    this.auditLog = results.auditLog;
    this.resultArchive = results.archive;
    this.#outputs();

    const alarmTopic =
      props.alarmTopic ??
      (this.fleet.alarmTopicArn
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', this.fleet.alarmTopicArn)
        : undefined);
    this.alarms =
      props.monitoring === false
        ? []
        : addMonitoring(this, {
            sweepFunction: this.sweepFunction,
            cancelFunction: this.cancelFunction,
            failedEvents: this.failedEvents,
            namespace,
            // CloudWatch looks back at most seven days; a day is plenty for summing errors.
            period: Duration.millis(Math.min(86_400_000, shortestPeriod)),
            tenants: this.fleet.tenants.filter((tenant) => tenant.enabled),
            alarmTopic,
            // As deployed: functionProps may have changed them.
            timeouts: {
              sweep: this.sweepFunction.timeout ?? SWEEP_TIMEOUT,
              cancel: this.cancelFunction.timeout ?? CANCEL_TIMEOUT,
            },
          });
  }

  /** What ops need at hand: names for the kill switch, the runbook and the redrive. */
  #outputs(): void {
    const output = (id: string, description: string, value: string) =>
      janitorOutput(this, id, { description, value });
    output(
      'SweepFunctionName',
      'The sweep function (kill switch: its reserved concurrency)',
      this.sweepFunction.functionName,
    );
    output(
      'CancelFunctionName',
      'The cancel function (kill switch: its reserved concurrency)',
      this.cancelFunction.functionName,
    );
    output(
      'SweepLogGroupName',
      "The sweep function's logs",
      this.sweepFunction.logGroup.logGroupName,
    );
    output(
      'CancelLogGroupName',
      "The cancel function's logs",
      this.cancelFunction.logGroup.logGroupName,
    );
    output(
      'FailedEventsQueueUrl',
      'Refused and failed events, for query-janitor redrive',
      this.failedEvents.queueUrl,
    );
  }

  /** One schedule per enabled tenant, each in a flexible window so a fleet does not start at once. */
  #schedules(): void {
    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the query-janitor sweep',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(this.sweepFunction)}.Arn>:*]`,
      reason: 'The target grant covers the sweep function and its versions only.',
    });
    for (const tenant of this.fleet.tenants.filter((t) => t.enabled)) {
      new scheduler.Schedule(this, scheduleId(tenant), {
        description: `Runs the query-janitor sweep of tenant ${tenant.name}`,
        schedule: scheduler.ScheduleExpression.expression(tenant.schedule),
        timeWindow: scheduler.TimeWindow.flexible(
          Duration.millis(flexibleWindowMs(tenant.schedulePeriodMs)),
        ),
        target: new schedulerTargets.LambdaInvoke(this.sweepFunction, {
          input: scheduler.ScheduleTargetInput.fromObject({
            trigger: 'schedule',
            tenant: tenant.name,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          role,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(10),
          deadLetterQueue: this.failedEvents,
        }),
      });
    }
  }

  /** One rule per command on the janitor's bus, so each function only receives its own. */
  #commandRules(): void {
    const source = this.fleet.eventSource;
    for (const [ruleId, detailType, fn] of [
      ['SweepEventRule', SWEEP_DETAIL_TYPE, this.sweepFunction],
      ['CancelEventRule', CANCEL_DETAIL_TYPE, this.cancelFunction],
    ] as const) {
      new events.Rule(this, ruleId, {
        description: `Routes "${detailType}" events from ${source} to the janitor`,
        eventBus: this.eventBus,
        eventPattern: { source: [source], detailType: [detailType] },
        targets: [
          new eventTargets.LambdaFunction(fn, {
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: this.failedEvents,
          }),
        ],
      });
    }
  }

  #warnAboutPatterns(): void {
    for (const tenant of this.fleet.tenants) {
      const warning = tenant.protectQueryPattern && re2Problem(tenant.protectQueryPattern);
      if (warning) {
        Annotations.of(this).addWarningV2(
          `query-janitor:protect-pattern:${tenant.name}`,
          `tenant ${tenant.name}: ${warning}`,
        );
      }
    }
  }
}

/** The schedule's construct id: the one tenant of a file-less deployment keeps the old id. */
function scheduleId(tenant: ResolvedTenant): string {
  return tenant.name === 'default' ? 'SweepSchedule' : `SweepSchedule-${tenant.name}`;
}

function logicalId(construct: Construct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as lambda.CfnFunction);
}

/** `value` as the functions would read it back from JSON; a value JSON cannot hold is refused. */
function asJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value) ?? 'null');
  } catch {
    // A cycle, or nesting deeper than the stack: not a file anyone meant to write.
    throw new Error(
      'QueryJobJanitor: config cannot be written as JSON (a cycle, or nested too deep)',
    );
  }
}
