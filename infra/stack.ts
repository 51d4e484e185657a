/**
 * The deployable stack: one {@link QueryJobJanitor}, configured from CDK context so ops can
 * `cdk deploy -c dryRun=false -c staleAfter=2h -c secretName=zuora/prod`.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { QueryJobJanitor } from './query-job-janitor.ts';

/** Stack with the janitor; every setting comes from context (`-c key=value`). */
export class QueryJanitorStack extends Stack {
  readonly janitor: QueryJobJanitor;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'query-janitor: cancels stale Zuora Data Query jobs',
      ...props,
    });
    const context = (key: string): string | undefined => {
      const value: unknown = this.node.tryGetContext(key);
      return value === undefined || value === null || value === '' ? undefined : String(value);
    };
    const list = (key: string) =>
      context(key)
        ?.split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    const number = (key: string) => {
      const value = context(key);
      if (value === undefined) return undefined;
      if (!/^\d+$/.test(value))
        throw new Error(`Context ${key} must be a whole number (got "${value}")`);
      return Number(value);
    };
    const dryRun = context('dryRun');
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') {
      throw new Error(`Context dryRun must be true or false (got "${dryRun}")`);
    }
    const secretName = context('secretName');
    const alarmTopicArn = context('alarmTopicArn');
    const scheduleMinutes = number('scheduleMinutes');

    this.janitor = new QueryJobJanitor(this, 'Janitor', {
      secret: secretName
        ? secretsmanager.Secret.fromSecretNameV2(this, 'Secret', secretName)
        : undefined,
      baseUrl: context('baseUrl'),
      schedule: scheduleMinutes
        ? scheduler.ScheduleExpression.rate(Duration.minutes(scheduleMinutes))
        : undefined,
      schedulePeriod: scheduleMinutes ? Duration.minutes(scheduleMinutes) : undefined,
      eventSource: context('eventSource'),
      commandSenders: list('commandSenders'),
      dryRun: dryRun === undefined ? undefined : dryRun === 'true',
      staleAfter: context('staleAfter'),
      staleAfterAccepted: context('staleAfterAccepted'),
      staleAfterInProgress: context('staleAfterInProgress'),
      maxCancelsPerRun: number('maxCancelsPerRun'),
      concurrency: number('concurrency'),
      protectCreatedBy: list('protectCreatedBy'),
      protectQueryPattern: context('protectQueryPattern'),
      onlyCreatedBy: list('onlyCreatedBy'),
      entityIds: list('entityIds'),
      orgIds: list('orgIds'),
      alarmTopic: alarmTopicArn
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn)
        : undefined,
    });
  }
}
