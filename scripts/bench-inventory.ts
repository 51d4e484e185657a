/**
 * What a deployment of N tenants consists of, read from the template the real stack synthesizes
 * (`QueryJanitorStack` with a configuration file, bundling skipped): the functions' memory, the
 * schedules, secrets, alarms (per tenant or fleet-wide, and how many metrics each watches),
 * dashboards and retention periods. The cost model prices these counts; nothing is typed in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { QueryJanitorStack } from '../infra/stack.ts';
import type { FleetConfig } from '../lib/contract/fleet.ts';
import { MAX_DEPLOY_TIME_SECRETS } from '../lib/contract/fleet-document.ts';
import { WORK } from './bench-support.ts';

/** What {@link deploymentInventory} found in the template. */
export interface Inventory {
  readonly tenants: number;
  readonly functions: number;
  readonly memoryMb: { readonly sweep: number; readonly cancel: number };
  readonly schedules: number;
  readonly scheduleExpressions: readonly string[];
  readonly secrets: number;
  readonly alarms: {
    readonly perTenant: number;
    readonly perTenantMetrics: number;
    readonly fleet: number;
    readonly fleetMetrics: number;
    readonly fleetNames: readonly string[];
  };
  readonly dashboards: number;
  readonly retentionDays: {
    readonly sweepLogs: number;
    readonly auditLog: number;
    readonly archive: number;
  };
  readonly leaseTableBilling: string;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Synthesizes the stack for `tenants` tenants (names `tenant-01`…) and counts what it holds. */
export function deploymentInventory(tenants: number): Inventory {
  const names = Array.from(
    { length: tenants },
    (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`,
  );
  // Past 20 tenants a fleet names its secrets (the functions' 4 KB of variables cannot carry
  // more deploy-time ARNs): each tenant still has one secret, billed the same, outside the stack.
  const named = tenants > MAX_DEPLOY_TIME_SECRETS;
  const config: FleetConfig = {
    defaults: { dryRun: false },
    tenants: names.map((name) => (named ? { name, secret: `zuora/${name}` } : { name })),
  };
  mkdirSync(WORK, { recursive: true });
  const configPath = join(WORK, `inventory-${tenants}.config.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const app = new App({
    outdir: join(WORK, `inventory-${tenants}.out`),
    context: { 'aws:cdk:bundling-stacks': [], config: configPath },
  });
  const stack = new QueryJanitorStack(app, 'QueryJanitor');
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
  const entries = Object.entries(resources);
  const ofType = (type: string) => entries.filter(([, resource]) => resource.Type === type);
  const prop = <T>(resource: Resource | undefined, key: string) => resource?.Properties?.[key] as T;
  const byPrefix = (type: string, prefix: string) =>
    ofType(type).find(([id]) => id.startsWith(prefix))?.[1];

  const alarms = ofType('AWS::CloudWatch::Alarm').map(([id, alarm]) => {
    const dimensions = prop<Array<{ Name: string }> | undefined>(alarm, 'Dimensions') ?? [];
    const math = prop<Array<{ MetricStat?: unknown }> | undefined>(alarm, 'Metrics');
    return {
      id,
      perTenant: dimensions.some((dimension) => dimension.Name === 'tenant'),
      metrics: math ? math.filter((metric) => metric.MetricStat).length : 1,
    };
  });
  const fleetAlarms = alarms.filter((alarm) => !alarm.perTenant);
  const perTenantAlarms = alarms.filter((alarm) => alarm.perTenant);
  const sumMetrics = (list: typeof alarms) => list.reduce((total, a) => total + a.metrics, 0);
  return {
    tenants,
    functions: ofType('AWS::Lambda::Function').length,
    memoryMb: {
      sweep: prop<number>(byPrefix('AWS::Lambda::Function', 'JanitorSweepFunction'), 'MemorySize'),
      cancel: prop<number>(
        byPrefix('AWS::Lambda::Function', 'JanitorCancelFunction'),
        'MemorySize',
      ),
    },
    schedules: ofType('AWS::Scheduler::Schedule').length,
    scheduleExpressions: [
      ...new Set(
        ofType('AWS::Scheduler::Schedule').map(([, s]) => prop<string>(s, 'ScheduleExpression')),
      ),
    ],
    secrets: ofType('AWS::SecretsManager::Secret').length + (named ? tenants : 0),
    alarms: {
      perTenant: perTenantAlarms.length,
      perTenantMetrics: sumMetrics(perTenantAlarms),
      fleet: fleetAlarms.length,
      fleetMetrics: sumMetrics(fleetAlarms),
      fleetNames: fleetAlarms.map((alarm) =>
        alarm.id.replace(/^Janitor/, '').replace(/[0-9A-F]{8}$/, ''),
      ),
    },
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    retentionDays: {
      sweepLogs: prop<number>(
        byPrefix('AWS::Logs::LogGroup', 'JanitorSweepFunctionLogs'),
        'RetentionInDays',
      ),
      auditLog: prop<number>(byPrefix('AWS::Logs::LogGroup', 'JanitorAuditLog'), 'RetentionInDays'),
      archive: prop<number>(ofType('AWS::Events::Archive')[0]?.[1], 'RetentionDays'),
    },
    leaseTableBilling: String(
      prop(ofType('AWS::DynamoDB::GlobalTable')[0]?.[1], 'BillingMode') ?? 'unknown',
    ),
  };
}
