/**
 * The AWS prices the benchmark's cost model uses: one dated table, us-east-1, list prices in USD,
 * each with the page it was read from. Update `asOf` with any price. Free tiers are not applied
 * (the account's other workloads may use them up), except where a figure says so.
 */
import type { PriceTable } from './cost-model.ts';

const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const EVENTBRIDGE = 'https://aws.amazon.com/eventbridge/pricing/';
const SECRETS_MANAGER = 'https://aws.amazon.com/secrets-manager/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';

export const PRICES = {
  asOf: '2026-11-28',
  region: 'us-east-1',
  currency: 'USD',
  /** Data sizes: 1 GB = 2^30 bytes. */
  bytesPerGb: 2 ** 30,
  /** A month: 730 hours, as AWS's pricing examples count it. */
  hoursPerMonth: 730,
  lambdaCompute: { usd: 0.0000133334, per: 1, unit: 'GB-second, arm64', source: LAMBDA },
  lambdaRequests: { usd: 0.2, per: 1_000_000, unit: 'requests', source: LAMBDA },
  schedulerInvocations: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'schedule invocations',
    source: EVENTBRIDGE,
    note: '14 million invocations a month are free; not applied (counted at list price)',
  },
  eventsPublished: {
    usd: 1.0,
    per: 1_000_000,
    unit: 'custom events published (PutEvents, per 64 KB chunk)',
    source: EVENTBRIDGE,
  },
  archiveIngest: { usd: 0.1, per: 1, unit: 'GB archived', source: EVENTBRIDGE },
  archiveStorage: { usd: 0.023, per: 1, unit: 'GB-month archive storage', source: EVENTBRIDGE },
  secret: { usd: 0.4, per: 1, unit: 'secret-month', source: SECRETS_MANAGER },
  secretsApi: { usd: 0.05, per: 10_000, unit: 'API calls', source: SECRETS_MANAGER },
  logsIngest: { usd: 0.5, per: 1, unit: 'GB ingested (standard log class)', source: CLOUDWATCH },
  logsStorage: { usd: 0.03, per: 1, unit: 'GB-month stored (compressed)', source: CLOUDWATCH },
  customMetric: {
    usd: 0.3,
    per: 1,
    unit: 'metric-month (each name + dimension set)',
    source: CLOUDWATCH,
  },
  alarm: {
    usd: 0.1,
    per: 1,
    unit: 'standard alarm metric-month (a metric math alarm counts each metric)',
    source: CLOUDWATCH,
  },
  dashboard: {
    usd: 3.0,
    per: 1,
    unit: 'dashboard-month',
    source: CLOUDWATCH,
    note: 'the first 3 dashboards of an account are free',
  },
  freeDashboards: 3,
  dynamoWrite: { usd: 0.625, per: 1_000_000, unit: 'write request units', source: DYNAMODB },
  dynamoRead: { usd: 0.125, per: 1_000_000, unit: 'read request units', source: DYNAMODB },
  sqsRequests: { usd: 0.4, per: 1_000_000, unit: 'requests', source: SQS },
} as const satisfies PriceTable;
