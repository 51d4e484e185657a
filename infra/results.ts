/**
 * Telling people what the janitor did. The functions publish result events on the janitor's bus
 * (and only there, and only result detail-types; no one else may publish those). From the bus:
 *
 * - an audit trail: every result event in a log group of its own, kept a year by default and
 *   past the stack's deletion, queryable with Logs Insights;
 * - an archive of the result events (never the commands), for replay;
 * - notifications: a rule per configured SNS topic on the per-run summary, so a run sends one
 *   message per topic (a dry-run deployment does not mail every stale job every run); rarely
 *   two, as EventBridge delivers at least once and a timed-out `PutEvents` is sent again.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { ResolvedFleet } from '../lib/contract/fleet.ts';
import { RESULT_DETAIL_TYPES } from '../lib/contract/names.ts';
import { janitorOutput } from './outputs.ts';

const RESULTS = Object.values(RESULT_DETAIL_TYPES);

/** Settings of {@link addResultEvents}. */
export interface ResultEventsProps {
  readonly bus: events.EventBus;
  readonly fleet: ResolvedFleet;
  /** The functions that publish results (nothing else may). */
  readonly publishers: readonly lambda.Function[];
}

/** What {@link addResultEvents} created. */
export interface ResultEventsResources {
  readonly auditLog: logs.LogGroup;
  readonly archive: events.Archive;
  readonly auditRule: events.Rule;
}

/** Adds result publishing, the audit trail, the archive and notifications to `scope`. */
export function addResultEvents(scope: Construct, props: ResultEventsProps): ResultEventsResources {
  const { bus, fleet } = props;
  const source = fleet.eventSource;
  for (const fn of props.publishers) {
    fn.addEnvironment('QUERY_JANITOR_EVENT_BUS', bus.eventBusName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:detail-type': RESULTS, 'events:source': source },
        },
      }),
    );
  }
  // Results come from the janitor's functions only: a forged "Query Job Cancelled" could
  // otherwise mail people, or write a false audit trail.
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyResultsFromOthers',
      effect: iam.Effect.DENY,
      principals: [new iam.StarPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: { 'events:detail-type': RESULTS },
        ArnNotLike: {
          'aws:PrincipalArn': props.publishers.map((fn) => fn.role?.roleArn as string),
        },
      },
    }),
  );

  const resultPattern: events.EventPattern = { source: [source], detailType: RESULTS };
  const auditLog = new logs.LogGroup(scope, 'AuditLog', {
    retention: fleet.auditLogRetentionDays as logs.RetentionDays,
    // The audit trail outlives the stack: it answers questions about months past.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const auditRule = new events.Rule(scope, 'AuditRule', {
    description: 'Writes every query-janitor result event to the audit log group',
    eventBus: bus,
    eventPattern: resultPattern,
    targets: [logGroupTarget(auditLog)],
  });
  // A resource policy of our own (not the CDK target's, which installs a custom-resource
  // Lambda): EventBridge may write to this log group, for this rule only.
  new logs.ResourcePolicy(scope, 'AuditLogPolicy', {
    policyStatements: [
      new iam.PolicyStatement({
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('delivery.logs.amazonaws.com'),
        ],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [auditLog.logGroupArn],
        conditions: { ArnEquals: { 'aws:SourceArn': auditRule.ruleArn } },
      }),
    ],
  });
  const archive = new events.Archive(scope, 'ResultArchive', {
    description: 'query-janitor result events (never the commands), for replay',
    sourceEventBus: bus,
    eventPattern: resultPattern,
    retention: Duration.days(fleet.auditLogRetentionDays),
  });
  fleet.notifications.forEach((notification, index) => {
    const topic = sns.Topic.fromTopicArn(scope, `NotificationTopic${index}`, notification.topicArn);
    const cases = notification.on.map((which) =>
      which === 'warned'
        ? { warnings: [{ numeric: ['>', 0] }] }
        : { counts: { [which]: [{ numeric: ['>', 0] }] } },
    );
    new events.Rule(scope, `NotifyRule${index}`, {
      description: `Tells ${notification.topicArn} about runs that ${notification.on.join(', ')}`,
      eventBus: bus,
      eventPattern: {
        source: [source],
        detailType: [RESULT_DETAIL_TYPES.swept],
        detail: {
          ...(notification.tenants ? { tenant: notification.tenants } : {}),
          ...(cases.length === 1 ? cases[0] : { $or: cases }),
        },
      },
      targets: [new eventTargets.SnsTopic(topic, { message: summaryMessage() })],
    });
  });

  janitorOutput(scope, 'AuditLogGroupName', {
    description: 'Every result event, for Logs Insights',
    value: auditLog.logGroupName,
  });
  janitorOutput(scope, 'ResultArchiveName', {
    description: 'Archive of the result events, for replay',
    value: archive.archiveName,
  });
  janitorOutput(scope, 'ResultArchiveArn', {
    description: 'The archive, as start-replay names its source',
    value: archive.archiveArn,
  });
  janitorOutput(scope, 'AuditRuleArn', {
    description: 'The rule a replay should feed (FilterArns), so that it notifies no one again',
    value: auditRule.ruleArn,
  });
  return { auditLog, archive, auditRule };
}

/** One line per run, from the summary event's fields. */
function summaryMessage(): events.RuleTargetInput {
  const field = (path: string) => events.EventField.fromPath(`$.detail.${path}`);
  return events.RuleTargetInput.fromText(
    `query-janitor, tenant ${field('tenant')}: run ${field('runId')} (${field('trigger')}, dry run ${field('dryRun')}) cancelled ${field('counts.cancelled')}, would cancel ${field('counts.wouldCancel')}, failed ${field('counts.failed')}, warned ${field('warnings')}, protected ${field('counts.protected')}, deferred ${field('counts.deferred')}.`,
  );
}

/** A CloudWatch Logs rule target for a log group whose resource policy is managed here. */
function logGroupTarget(logGroup: logs.LogGroup): events.IRuleTarget {
  return {
    bind: () => ({
      arn: Stack.of(logGroup).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: logGroup.logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    }),
  };
}
