/**
 * What the janitor costs a month, from what one run uses (measured by the benchmark) and a price
 * table (`prices.ts`). Pure arithmetic, no I/O: `test/unit/cost-model.test.ts` checks it on a
 * hand-computed example.
 *
 * Three parts:
 * - per tenant, variable: what the tenant's runs use (compute, logs, API calls, events);
 * - per tenant, fixed: its secret, its `SweepSucceeded` metric, its "has not run" alarm, its
 *   schedule's invocations (free tier not applied);
 * - fleet-wide, fixed: the metrics without a tenant dimension, the fleet's alarms, the dashboard.
 *
 * Storage is counted at steady state: once a log group or archive holds `retention` months of
 * data, a month costs what `retention` months of runs store.
 */

/** One price: `usd` for `per` units. */
export interface Price {
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  readonly source: string;
  readonly note?: string;
}

/** The prices the model needs (see `prices.ts`). */
export interface PriceTable {
  readonly asOf: string;
  readonly region: string;
  readonly currency: string;
  readonly bytesPerGb: number;
  readonly hoursPerMonth: number;
  readonly lambdaCompute: Price;
  readonly lambdaRequests: Price;
  readonly schedulerInvocations: Price;
  readonly eventsPublished: Price;
  readonly archiveIngest: Price;
  readonly archiveStorage: Price;
  readonly secret: Price;
  readonly secretsApi: Price;
  readonly logsIngest: Price;
  readonly logsStorage: Price;
  readonly customMetric: Price;
  readonly alarm: Price;
  readonly dashboard: Price;
  readonly freeDashboards: number;
  readonly dynamoWrite: Price;
  readonly dynamoRead: Price;
  readonly sqsRequests: Price;
}

/** What one run uses, in billable units. */
export interface RunProfile {
  /** Lambda billed duration, ms (init included for a cold start). */
  readonly billedMs: number;
  /** Bytes the function's log group ingests (application logs, EMF, platform records). */
  readonly logBytes: number;
  /** What those bytes take once stored (CloudWatch Logs stores them compressed). */
  readonly logStoredBytes: number;
  readonly secretsCalls: number;
  /** Events billed by PutEvents (one per 64 KB chunk of each entry). */
  readonly events: number;
  /** Bytes of those events as EventBridge delivers them (archive, audit log group). */
  readonly eventBytes: number;
  /** What the audit log group stores of them (compressed). */
  readonly eventStoredBytes: number;
  readonly dynamoWrites: number;
  readonly dynamoReads: number;
  readonly sqsRequests: number;
}

const RUN_FIELDS = [
  'billedMs',
  'logBytes',
  'logStoredBytes',
  'secretsCalls',
  'events',
  'eventBytes',
  'eventStoredBytes',
  'dynamoWrites',
  'dynamoReads',
  'sqsRequests',
] as const satisfies ReadonlyArray<keyof RunProfile>;

/** `a + (b - a) * t`, field by field: a blend of two runs (t = 0 is `a`, t = 1 is `b`). */
export function mix(a: RunProfile, b: RunProfile, t: number): RunProfile {
  const out: Record<string, number> = {};
  for (const field of RUN_FIELDS) out[field] = a[field] + (b[field] - a[field]) * t;
  return out as unknown as RunProfile;
}

/** `run` with some fields replaced (e.g. secret reads set by the cadence). */
export function withFields(run: RunProfile, fields: Partial<RunProfile>): RunProfile {
  return { ...run, ...fields };
}

/** Scheduled runs in a month at a cadence. */
export function runsPerMonth(cadenceMinutes: number, prices: Pick<PriceTable, 'hoursPerMonth'>) {
  return (prices.hoursPerMonth * 60) / cadenceMinutes;
}

/**
 * Secrets Manager reads per run in a warm execution environment that caches the secret for
 * `cacheMinutes`: one per run when runs are at least that far apart, else one per cache period.
 */
export function secretReadsPerRun(cadenceMinutes: number, cacheMinutes: number): number {
  return cadenceMinutes >= cacheMinutes ? 1 : cadenceMinutes / cacheMinutes;
}

/** What a tenant's month is made of. */
export interface TenantMonthInput {
  readonly runsPerMonth: number;
  /** The average run. */
  readonly run: RunProfile;
  /** The function's memory size, MB. */
  readonly memoryMb: number;
  /** How long each store keeps data, in months. */
  readonly retentionMonths: {
    readonly functionLogs: number;
    readonly auditLog: number;
    readonly archive: number;
  };
  /** What exists once per tenant. */
  readonly perTenant: {
    readonly secrets: number;
    readonly metrics: number;
    readonly alarmMetrics: number;
    readonly schedules: number;
  };
}

/** A month's cost, by line, in USD. */
export interface TenantMonthCost {
  readonly variable: Readonly<Record<VariableLine, number>>;
  readonly fixed: Readonly<Record<FixedLine, number>>;
  readonly variableTotal: number;
  readonly fixedTotal: number;
  readonly total: number;
  /** The largest line. */
  readonly dominant: { readonly line: string; readonly usd: number; readonly share: number };
}

type VariableLine =
  | 'lambdaCompute'
  | 'lambdaRequests'
  | 'functionLogsIngest'
  | 'functionLogsStorage'
  | 'secretsApi'
  | 'eventsPublished'
  | 'eventArchive'
  | 'auditLog'
  | 'dynamodb'
  | 'sqs';
type FixedLine = 'secret' | 'sweepSucceededMetric' | 'notRunAlarm' | 'schedule';

const rate = (price: Price) => price.usd / price.per;

/** The cost of one tenant for a month. */
export function tenantMonth(input: TenantMonthInput, prices: PriceTable): TenantMonthCost {
  const { run, runsPerMonth: runs, retentionMonths: keep } = input;
  const gb = (bytes: number) => bytes / prices.bytesPerGb;
  const gbSeconds = (run.billedMs / 1000) * (input.memoryMb / 1024);
  const variable: Record<VariableLine, number> = {
    lambdaCompute: runs * gbSeconds * rate(prices.lambdaCompute),
    lambdaRequests: runs * rate(prices.lambdaRequests),
    functionLogsIngest: runs * gb(run.logBytes) * rate(prices.logsIngest),
    functionLogsStorage:
      runs * gb(run.logStoredBytes) * keep.functionLogs * rate(prices.logsStorage),
    secretsApi: runs * run.secretsCalls * rate(prices.secretsApi),
    eventsPublished: runs * run.events * rate(prices.eventsPublished),
    eventArchive:
      runs *
      gb(run.eventBytes) *
      (rate(prices.archiveIngest) + keep.archive * rate(prices.archiveStorage)),
    auditLog:
      runs *
      (gb(run.eventBytes) * rate(prices.logsIngest) +
        gb(run.eventStoredBytes) * keep.auditLog * rate(prices.logsStorage)),
    dynamodb:
      runs *
      (run.dynamoWrites * rate(prices.dynamoWrite) + run.dynamoReads * rate(prices.dynamoRead)),
    sqs: runs * run.sqsRequests * rate(prices.sqsRequests),
  };
  const fixed: Record<FixedLine, number> = {
    secret: input.perTenant.secrets * rate(prices.secret),
    sweepSucceededMetric: input.perTenant.metrics * rate(prices.customMetric),
    notRunAlarm: input.perTenant.alarmMetrics * rate(prices.alarm),
    schedule: input.perTenant.schedules * runs * rate(prices.schedulerInvocations),
  };
  const variableTotal = sum(Object.values(variable));
  const fixedTotal = sum(Object.values(fixed));
  const total = variableTotal + fixedTotal;
  const [line, usd] = Object.entries({ ...variable, ...fixed }).reduce((best, entry) =>
    entry[1] > best[1] ? entry : best,
  );
  return {
    variable,
    fixed,
    variableTotal,
    fixedTotal,
    total,
    dominant: { line, usd, share: total === 0 ? 0 : usd / total },
  };
}

/** What exists once per deployment, whatever the number of tenants. */
export interface FleetFixedInput {
  /** Custom metrics without a tenant dimension. */
  readonly metrics: number;
  /** Metrics watched by the fleet's alarms (a metric math alarm counts each of its metrics). */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  /** Free dashboards the account still has (0 to `prices.freeDashboards`). */
  readonly freeDashboardsLeft: number;
}

/** The fleet's fixed monthly cost, by line. */
export function fleetFixed(input: FleetFixedInput, prices: PriceTable) {
  const metrics = input.metrics * rate(prices.customMetric);
  const alarms = input.alarmMetrics * rate(prices.alarm);
  const free = Math.min(input.freeDashboardsLeft, prices.freeDashboards);
  const dashboards = Math.max(0, input.dashboards - free) * rate(prices.dashboard);
  return { metrics, alarms, dashboards, total: metrics + alarms + dashboards };
}

/** A fleet's month: `tenants` tenants at `perTenant` each, plus the fleet's fixed cost. */
export function fleetMonth(tenants: number, perTenant: TenantMonthCost, fixedTotal: number) {
  const tenantsTotal = tenants * perTenant.total;
  const total = tenantsTotal + fixedTotal;
  return {
    tenants,
    tenantsTotal,
    fleetFixed: fixedTotal,
    total,
    perTenant: total / tenants,
    fixedShare: total === 0 ? 0 : fixedTotal / total,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
