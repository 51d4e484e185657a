/**
 * What the janitor costs, from what its runs use here, and what a faster schedule buys.
 *
 * Measured: the sweep bundle (built with `bundleOptions('sweep')`) runs in a Lambda-like child
 * process (`bench-lambda-child.ts`) with the V8 flags of the deployed memory size, against a
 * Zuora emulator with 50 ms latency, the Secrets Manager and EventBridge emulators and a real
 * DynamoDB lease table (dynalite behind a recording proxy). Idle runs (no stale job) and busy
 * runs (15 stale jobs), each cold (first invocation of a process, after its init) and warm,
 * interleaved over three rounds. Each run's log (its standard output: Powertools JSON logs and
 * EMF), its Secrets Manager, Zuora, EventBridge and DynamoDB calls are counted.
 *
 * Priced: `cost-model.ts` with `prices.ts`, and what a deployment of 50 tenants holds, read
 * from the synthesized template (`bench-inventory.ts`). Then, with the day simulation
 * (`simulateDay`, seeds 1 to 5, the pressure rule off and on) at 15-, 5- and 1-minute cadences:
 * full-queue minutes, refused submissions, cancels, healthy cancels, requests, and the cost of
 * each cadence; and a recommendation computed from those figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SECRET_MAX_AGE_MS } from '../lib/aws/secrets-manager.ts';
import { CAPACITY_SOURCES } from '../lib/contract/limits.ts';
import {
  CAPACITY_METRICS,
  COUNT_METRICS,
  DURATION_METRIC,
  FAILED_RUN_METRIC,
  SERVICE_NAME,
  SKIPPED_RUN_METRIC,
  TRUNCATED_METRIC,
  UNPUBLISHED_EVENTS_METRIC,
} from '../lib/contract/names.ts';
import { EventBridgeEmulator, putEventsEntrySize } from '../test/emulator/eventbridge.ts';
import { startFleet } from '../test/emulator/fleet.ts';
import { RecordingProxy } from '../test/emulator/recording-proxy.ts';
import { type DayResult, simulateDay, totals } from '../test/support/data-query-day.ts';
import { startLeaseTable } from '../test/support/dynamodb.ts';
import type { Inventory } from './bench-inventory.ts';
import { emit, LATENCY_MS, lambdaV8Flags, median, quick, ROOT, round } from './bench-support.ts';
import {
  fleetFixed,
  fleetMonth,
  mix,
  type RunProfile,
  runsPerMonth,
  secretReadsPerRun,
  type TenantMonthCost,
  tenantMonth,
  withFields,
} from './cost-model.ts';
import { PRICES } from './prices.ts';

const TENANT = 'tenant-01';
const BUSY_JOBS = 15;
const FLEET_TENANTS = 50;
const GOALS = { variablePerTenant: 0.05, totalPerTenant: 1.0 } as const;
const SECRET_CACHE_MINUTES = SECRET_MAX_AGE_MS / 60_000;
const EVENT_CHUNK_BYTES = 64 * 1024;

/** What one invocation used, as counted here. */
interface Measured {
  kind: Kind;
  durationMs: number;
  importMs: number;
  rssKb: number;
  cancelled: number;
  logBytes: number;
  logLines: number;
  logText: string;
  zuoraRequests: number;
  zuoraToken: number;
  zuoraList: number;
  secretsCalls: number;
  putEventsCalls: number;
  eventEntries: number;
  eventsBilled: number;
  entryBytes: number;
  eventBytes: number;
  eventText: string;
  dynamoCalls: number;
  dynamoWrites: number;
  dynamoReads: number;
  metricKeys: string[];
}

type Kind = 'idle-cold' | 'idle-warm' | 'busy-cold' | 'busy-warm';

/** One Lambda-like process running the bundle (see `bench-lambda-child.ts`). */
class BundleProcess {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  #pending = '';
  #waiter: ((message: Record<string, unknown>, log: string[]) => void) | undefined;
  #queued: Array<[Record<string, unknown>, string[]]> = [];
  stderrBytes = 0;

  constructor(bundle: string, env: Record<string, string>, memoryMb: number) {
    this.#child = spawn(
      process.execPath,
      [
        ...lambdaV8Flags(memoryMb),
        join(ROOT, 'scripts', 'bench-lambda-child.ts'),
        bundle,
        'query-janitor-sweep',
        String(memoryMb),
        '300000',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#read(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrBytes += chunk.length;
    });
  }

  #read(chunk: string): void {
    this.#pending += chunk;
    let newline = this.#pending.indexOf('\n');
    while (newline !== -1) {
      const line = this.#pending.slice(0, newline);
      this.#pending = this.#pending.slice(newline + 1);
      if (line.startsWith('@@BENCH ')) {
        const message = JSON.parse(line.slice('@@BENCH '.length)) as Record<string, unknown>;
        const log = this.#lines.splice(0);
        if (this.#waiter) {
          const waiter = this.#waiter;
          this.#waiter = undefined;
          waiter(message, log);
        } else {
          this.#queued.push([message, log]);
        }
      } else if (line.length > 0) {
        this.#lines.push(line);
      }
      newline = this.#pending.indexOf('\n');
    }
  }

  /** The next `@@BENCH` message and the log lines written before it. */
  next(): Promise<[Record<string, unknown>, string[]]> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the bundle process did not answer')),
        120_000,
      );
      this.#waiter = (message, log) => {
        clearTimeout(timer);
        resolve([message, log]);
      };
    });
  }

  async invoke(event: unknown): Promise<[Record<string, unknown>, string[]]> {
    this.#child.send({ event });
    return this.next();
  }

  close(): void {
    this.#child.send({ exit: true });
  }
}

/** The distinct CloudWatch metrics (name and dimension values) in a run's EMF records. */
function emfMetricKeys(lines: readonly string[]): string[] {
  const keys: string[] = [];
  for (const line of lines) {
    if (!line.includes('"CloudWatchMetrics"')) continue;
    const record = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
      };
    };
    for (const directive of record._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        for (const metric of directive.Metrics) keys.push(metricKey(metric.Name, set, record));
      }
    }
  }
  return keys;
}

function metricKey(name: string, dimensions: readonly string[], values: Record<string, unknown>) {
  const dims = [...dimensions].sort().map((dim) => `${dim}=${String(values[dim])}`);
  return `${name}{${dims.join(',')}}`;
}

/** The metrics without a tenant dimension the functions can emit, from the names they share. */
function declaredFleetMetrics(): string[] {
  const service = { service: SERVICE_NAME };
  const names = [
    ...Object.values(COUNT_METRICS),
    TRUNCATED_METRIC,
    DURATION_METRIC,
    FAILED_RUN_METRIC,
    SKIPPED_RUN_METRIC,
    UNPUBLISHED_EVENTS_METRIC,
  ];
  return [
    ...names.map((name) => metricKey(name, ['service'], service)),
    ...Object.values(CAPACITY_METRICS).flatMap((name) =>
      CAPACITY_SOURCES.map((source) =>
        metricKey(name, ['service', 'source'], { ...service, source }),
      ),
    ),
  ];
}

/** An event as EventBridge delivers it to the archive and the audit log group. */
function envelope(entry: {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
}) {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '123456789012',
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region: PRICES.region,
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail ?? '{}'),
  });
}

/**
 * The platform records Lambda adds to a function's log group in the JSON log format (start and
 * report, plus initStart on a cold start). Constructed here in the documented shape, not
 * captured: nothing here runs the Lambda service.
 */
function platformRecords(
  cold: boolean,
  run: { durationMs: number; importMs: number; rssKb: number },
  memoryMb: number,
): string[] {
  const { durationMs, importMs: initMs } = run;
  const time = new Date().toISOString();
  const requestId = randomUUID();
  const records: unknown[] = [
    { time, type: 'platform.start', record: { requestId, version: '$LATEST' } },
    {
      time,
      type: 'platform.report',
      record: {
        requestId,
        metrics: {
          durationMs: round(durationMs, 3),
          billedDurationMs: Math.ceil(durationMs + (cold ? initMs : 0)),
          memorySizeMB: memoryMb,
          maxMemoryUsedMB: Math.round(run.rssKb / 1024),
          ...(cold ? { initDurationMs: round(initMs, 3) } : {}),
        },
        status: 'success',
      },
    },
  ];
  if (cold) {
    records.unshift({
      time,
      type: 'platform.initStart',
      record: {
        initializationType: 'on-demand',
        phase: 'init',
        runtimeVersion: 'nodejs:24.v12',
        runtimeVersionArn: `arn:aws:lambda:us-east-1::runtime:${'0'.repeat(64)}`,
        functionName: 'QueryJanitor-JanitorSweepFunction4C3E8F1A-AbCdEfGh1234',
        functionVersion: '$LATEST',
      },
    });
  }
  return records.map((record) => JSON.stringify(record));
}

/** Runs the bundle idle and busy, cold and warm, and counts what each run used. */
async function measureRuns(sweepBundle: string, memoryMb: number): Promise<Measured[]> {
  const fleet = await startFleet([TENANT], {
    defaults: { dryRun: false },
    zuora: { latencyMs: LATENCY_MS },
  });
  const zuora = fleet.tenant(TENANT);
  const events = await EventBridgeEmulator.start();
  // The table is created with the SDK from this process: any region and credentials will do.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEMULATOR';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'emulator-only';
  const table = await startLeaseTable();
  const dynamo = await RecordingProxy.start(table.url);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-only',
    AWS_LAMBDA_FUNCTION_NAME: 'query-janitor-sweep',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    // Powertools counts a cold start (log key, ColdStart metric) only where Lambda sets this.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor/QueryJanitor',
    // What the construct sets (its default log level).
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...fleet.env,
    QUERY_JANITOR_LEASE_TABLE: table.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    QUERY_JANITOR_EVENT_BUS: 'query-janitor',
    AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
  };
  const seed = () => {
    for (let i = 0; i < BUSY_JOBS; i++) {
      zuora.addJob({
        ageMinutes: 300 + i,
        queryStatus: i % 3 ? 'accepted' : 'in_progress',
        createdBy: 'a1b2c3d4-0000-4000-8000-00000000a001',
        query: `SELECT Id, AccountNumber, Balance FROM Account WHERE Balance > ${i}`,
        sourceData: i % 2 ? 'LIVE' : 'WAREHOUSE',
      });
    }
  };
  const scheduleEvent = () => ({
    trigger: 'schedule',
    tenant: TENANT,
    scheduledTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });

  const measured: Measured[] = [];
  const invoke = async (child: BundleProcess, kind: Kind, importMs: number) => {
    const busy = kind.startsWith('busy');
    if (busy) seed();
    const before = {
      zuora: zuora.requests.length,
      secrets: fleet.secrets.requests.length,
      calls: events.calls.length,
      dynamo: dynamo.requests.length,
    };
    const [message, log] = await child.invoke(scheduleEvent());
    if (message.error) throw new Error(`the ${kind} run failed: ${JSON.stringify(message.error)}`);
    const cancelled = (message.counts as { cancelled: number }).cancelled;
    if (cancelled !== (busy ? BUSY_JOBS : 0))
      throw new Error(`the ${kind} run cancelled ${cancelled}`);
    const zuoraRequests = zuora.requests.slice(before.zuora);
    const calls = events.calls.slice(before.calls);
    const entries = calls.flatMap((call) => call.entries);
    const envelopes = entries.map(envelope);
    const dynamoCalls = dynamo.requests.slice(before.dynamo);
    const logText = log.map((line) => `${line}\n`).join('');
    measured.push({
      kind,
      durationMs: message.durationMs as number,
      importMs,
      rssKb: message.rssKb as number,
      cancelled,
      logBytes: Buffer.byteLength(logText),
      logLines: log.length,
      logText,
      zuoraRequests: zuoraRequests.length,
      zuoraToken: zuoraRequests.filter((r) => r.route === 'token').length,
      zuoraList: zuoraRequests.filter((r) => r.route === 'list').length,
      secretsCalls: fleet.secrets.requests.length - before.secrets,
      putEventsCalls: calls.length,
      eventEntries: entries.length,
      eventsBilled: entries.reduce(
        (total, entry) =>
          total + Math.max(1, Math.ceil(putEventsEntrySize(entry) / EVENT_CHUNK_BYTES)),
        0,
      ),
      entryBytes: entries.reduce((total, entry) => total + putEventsEntrySize(entry), 0),
      eventBytes: envelopes.reduce((total, text) => total + Buffer.byteLength(text), 0),
      eventText: envelopes.map((text) => `${text}\n`).join(''),
      dynamoCalls: dynamoCalls.length,
      dynamoWrites: dynamoCalls.filter((r) => /\.(PutItem|DeleteItem|UpdateItem)$/.test(r.target))
        .length,
      dynamoReads: dynamoCalls.filter((r) => /\.(GetItem|Query|Scan)$/.test(r.target)).length,
      metricKeys: emfMetricKeys(log),
    });
  };

  const rounds = quick ? 2 : 3;
  try {
    for (let i = 0; i < rounds; i++) {
      // Interleaved: each process's first run is its cold one.
      for (const order of [
        ['idle-cold', 'busy-warm', 'idle-warm'],
        ['busy-cold', 'idle-warm', 'busy-warm'],
      ] as const) {
        const child = new BundleProcess(sweepBundle, env, memoryMb);
        const [ready] = await child.next();
        for (const kind of order) await invoke(child, kind, ready.importMs as number);
        child.close();
        if (child.stderrBytes > 0) throw new Error('the bundle wrote to standard error');
      }
    }
  } finally {
    await dynamo.close();
    await table.close();
    await events.close();
    await fleet.close();
  }
  return measured;
}

/** The median of each measured figure over the runs of one kind. */
function medianRun(runs: readonly Measured[], kind: Kind) {
  const of = runs.filter((run) => run.kind === kind);
  const pick = (field: keyof Measured) => median(of.map((run) => run[field] as number));
  return {
    kind,
    runs: of.length,
    durationMs: pick('durationMs'),
    importMs: pick('importMs'),
    rssKb: pick('rssKb'),
    logBytes: pick('logBytes'),
    logLines: pick('logLines'),
    zuoraRequests: pick('zuoraRequests'),
    zuoraToken: pick('zuoraToken'),
    zuoraList: pick('zuoraList'),
    secretsCalls: pick('secretsCalls'),
    putEventsCalls: pick('putEventsCalls'),
    eventEntries: pick('eventEntries'),
    eventsBilled: pick('eventsBilled'),
    entryBytes: pick('entryBytes'),
    eventBytes: pick('eventBytes'),
    dynamoCalls: pick('dynamoCalls'),
    dynamoWrites: pick('dynamoWrites'),
    dynamoReads: pick('dynamoReads'),
  };
}

type MedianRun = ReturnType<typeof medianRun>;

const usd = (value: number) => round(value, 4);
const costLines = (cost: TenantMonthCost) => ({
  variable: Object.fromEntries(Object.entries(cost.variable).map(([k, v]) => [k, usd(v)])),
  fixed: Object.fromEntries(Object.entries(cost.fixed).map(([k, v]) => [k, usd(v)])),
  variableTotal: usd(cost.variableTotal),
  fixedTotal: usd(cost.fixedTotal),
  total: usd(cost.total),
  dominant: { ...cost.dominant, usd: usd(cost.dominant.usd), share: round(cost.dominant.share, 3) },
});

/** Measures, prices, simulates, and prints the cost and cadence figures. */
export async function costFigures(sweepBundle: string, inventory: Inventory): Promise<void> {
  const memoryMb = inventory.memoryMb.sweep;
  const measured = await measureRuns(sweepBundle, memoryMb);
  const kinds: Kind[] = ['idle-cold', 'idle-warm', 'busy-cold', 'busy-warm'];
  const runs = Object.fromEntries(kinds.map((kind) => [kind, medianRun(measured, kind)])) as Record<
    Kind,
    MedianRun
  >;
  for (const kind of kinds) {
    const { rssKb, ...run } = runs[kind];
    emit({
      figure: 'lambda-run',
      ...run,
      durationMs: round(run.durationMs, 1),
      // The bundle's import (the function's init): what a cold start adds.
      importMs: kind.endsWith('cold') ? round(run.importMs, 1) : undefined,
      peakRssMb: round(rssKb / 1024, 1),
      latencyMs: LATENCY_MS,
      memoryMb,
      staleJobs: kind.startsWith('busy') ? BUSY_JOBS : 0,
    });
  }

  // Compression CloudWatch Logs stores at, estimated by gzip over every captured log.
  const allLogs = measured.map((run) => run.logText).join('');
  const logRatio = gzipSync(allLogs).length / Buffer.byteLength(allLogs);
  const allEvents = measured.map((run) => run.eventText).join('');
  const eventRatio = gzipSync(allEvents).length / Math.max(1, Buffer.byteLength(allEvents));
  const profile = (run: MedianRun, cold: boolean): RunProfile => {
    const platform = platformRecords(cold, run, memoryMb)
      .map((line) => Buffer.byteLength(line) + 1)
      .reduce((a, b) => a + b, 0);
    const logBytes = run.logBytes + platform;
    return {
      // Lambda bills each invocation rounded up to the millisecond, and the init since 2025-08.
      billedMs: Math.ceil(run.durationMs) + (cold ? Math.ceil(run.importMs) : 0),
      logBytes,
      logStoredBytes: logBytes * logRatio,
      secretsCalls: run.secretsCalls,
      events: run.eventsBilled,
      eventBytes: run.eventBytes,
      eventStoredBytes: run.eventBytes * eventRatio,
      dynamoWrites: run.dynamoWrites,
      dynamoReads: run.dynamoReads,
      sqsRequests: 0,
    };
  };
  const idleWarm = profile(runs['idle-warm'], false);
  const busyWarm = profile(runs['busy-warm'], false);
  const idleCold = profile(runs['idle-cold'], true);
  const busyCold = profile(runs['busy-cold'], true);

  // What exists per tenant and per fleet: from the template, and the metrics the runs emitted.
  const observed = new Set(measured.flatMap((run) => run.metricKeys));
  const perTenantMetrics = [...observed].filter((key) => key.includes(`tenant=${TENANT}`));
  const declared = new Set(declaredFleetMetrics());
  const extra = [...observed].filter((key) => !key.includes('tenant=') && !declared.has(key));
  // A metric with a function_name dimension (Powertools' ColdStart) exists once per function.
  const extraCount = extra.reduce(
    (total, key) => total + (key.includes('function_name=') ? inventory.functions : 1),
    0,
  );
  const fleetMetricCount = declared.size + extraCount;
  const perTenant = {
    secrets: inventory.secrets / inventory.tenants,
    metrics: perTenantMetrics.length,
    alarmMetrics: inventory.alarms.perTenantMetrics / inventory.tenants,
    schedules: inventory.schedules / inventory.tenants,
  };
  const retentionMonths = {
    functionLogs: inventory.retentionDays.sweepLogs / 30,
    auditLog: inventory.retentionDays.auditLog / 30,
    archive: inventory.retentionDays.archive / 30,
  };
  const fixed = fleetFixed(
    {
      metrics: fleetMetricCount,
      alarmMetrics: inventory.alarms.fleetMetrics,
      dashboards: inventory.dashboards,
      // Counted: an account's 3 free dashboards are usually taken already.
      freeDashboardsLeft: 0,
    },
    PRICES,
  );
  emit({
    figure: 'cost-inventory',
    tenants: inventory.tenants,
    memoryMb,
    schedules: inventory.schedules,
    scheduleExpressions: inventory.scheduleExpressions,
    secrets: inventory.secrets,
    perTenant,
    perTenantMetricsObserved: perTenantMetrics,
    fleetMetrics: fleetMetricCount,
    fleetMetricsDeclared: declared.size,
    fleetMetricsExtraObserved: extra,
    fleetAlarms: inventory.alarms.fleet,
    fleetAlarmMetrics: inventory.alarms.fleetMetrics,
    fleetAlarmNames: inventory.alarms.fleetNames,
    dashboards: inventory.dashboards,
    retentionDays: inventory.retentionDays,
    leaseTableBilling: inventory.leaseTableBilling,
    logCompressionRatio: round(logRatio, 3),
    eventCompressionRatio: round(eventRatio, 3),
    prices: { asOf: PRICES.asOf, region: PRICES.region },
  });

  // The day simulation: what each cadence and the pressure rule do to one tenant's queue.
  const seeds = [1, 2, 3, 4, 5];
  const cadences = [15, 5, 1];
  const simulated = new Map<string, ReturnType<typeof totals>>();
  for (const cadenceMinutes of cadences) {
    for (const pressure of [false, true]) {
      const days: DayResult[] = [];
      for (const seed of seeds) days.push(await simulateDay({ seed, pressure, cadenceMinutes }));
      simulated.set(`${cadenceMinutes}/${pressure}`, totals(days));
    }
  }

  /** A tenant-month at a cadence: the average run blends idle and busy by cancels per run. */
  const priced = (cadenceMinutes: number, cancelsPerRun: number, cold: boolean) => {
    const [idle, busy] = cold ? [idleCold, busyCold] : [idleWarm, busyWarm];
    const run = withFields(mix(idle, busy, cancelsPerRun / BUSY_JOBS), {
      // A warm environment keeps the secret 5 minutes: at 15 minutes every run reads it.
      secretsCalls: cold ? 1 : secretReadsPerRun(cadenceMinutes, SECRET_CACHE_MINUTES),
    });
    const cost = tenantMonth(
      {
        runsPerMonth: runsPerMonth(cadenceMinutes, PRICES),
        run,
        memoryMb,
        retentionMonths,
        perTenant,
      },
      PRICES,
    );
    return [cost, run] as const;
  };
  const month = (cadenceMinutes: number, cancelsPerRun: number, cold: boolean): TenantMonthCost =>
    priced(cadenceMinutes, cancelsPerRun, cold)[0];
  const cancelsPerRun = (cadenceMinutes: number, pressure: boolean) => {
    const day = simulated.get(`${cadenceMinutes}/${pressure}`) as ReturnType<typeof totals>;
    return day.cancelled / day.runs;
  };

  // B: 15 minutes, the default (pressure off).
  const scenarios: Array<[string, TenantMonthCost, RunProfile]> = [
    [
      'fleet (warm environments), 15 min, simulated traffic (pressure off)',
      ...priced(15, cancelsPerRun(15, false), false),
    ],
    [
      'fleet (warm environments), 15 min, every run cancels 15 jobs (bound)',
      ...priced(15, BUSY_JOBS, false),
    ],
    ['lone tenant, 15 min, every run a cold start, idle (bound)', ...priced(15, 0, true)],
  ];
  const [, primary] = scenarios[0] as [string, TenantMonthCost, RunProfile];
  for (const [scenario, cost, run] of scenarios) {
    emit({
      figure: 'cost-per-tenant-month',
      scenario,
      cadenceMinutes: 15,
      runsPerMonth: runsPerMonth(15, PRICES),
      averageRun: Object.fromEntries(Object.entries(run).map(([k, v]) => [k, round(v, 3)])),
      ...costLines(cost),
      goals: { variable: GOALS.variablePerTenant, total: GOALS.totalPerTenant },
      meetsVariableGoal: cost.variableTotal <= GOALS.variablePerTenant,
      meetsTotalGoal: cost.total <= GOALS.totalPerTenant,
      schedulerFreeTier: 'not applied: invocations counted at list price',
      pricesAsOf: PRICES.asOf,
    });
  }
  const fleet = fleetMonth(FLEET_TENANTS, primary, fixed.total);
  const fleetLines: Record<string, number> = {
    ...Object.fromEntries(
      Object.entries({ ...primary.variable, ...primary.fixed }).map(([k, v]) => [
        `tenants.${k}`,
        v * FLEET_TENANTS,
      ]),
    ),
    'fleet.metrics': fixed.metrics,
    'fleet.alarms': fixed.alarms,
    'fleet.dashboard': fixed.dashboards,
  };
  const [fleetDominant, fleetDominantUsd] = Object.entries(fleetLines).reduce((a, b) =>
    b[1] > a[1] ? b : a,
  );
  emit({
    figure: 'cost-fleet-month',
    tenants: FLEET_TENANTS,
    cadenceMinutes: 15,
    fleetFixed: {
      metrics: usd(fixed.metrics),
      metricCount: fleetMetricCount,
      alarms: usd(fixed.alarms),
      alarmMetricCount: inventory.alarms.fleetMetrics,
      dashboard: usd(fixed.dashboards),
      dashboardNote: 'counted; free if the account has fewer than 3 dashboards',
      total: usd(fixed.total),
    },
    tenantsTotal: usd(fleet.tenantsTotal),
    total: usd(fleet.total),
    perTenantIncludingFleetShare: usd(fleet.perTenant),
    fleetFixedShare: round(fleet.fixedShare, 3),
    dominant: {
      line: fleetDominant,
      usd: usd(fleetDominantUsd),
      share: round(fleetDominantUsd / fleet.total, 3),
    },
    pricesAsOf: PRICES.asOf,
  });

  // C: what a faster schedule buys, and what it costs.
  const options = cadences.flatMap((cadenceMinutes) =>
    [false, true].map((pressure) => {
      const day = simulated.get(`${cadenceMinutes}/${pressure}`) as ReturnType<typeof totals>;
      const perDay = (value: number) => round(value / day.days, 1);
      const cost = month(cadenceMinutes, cancelsPerRun(cadenceMinutes, pressure), false);
      return {
        cadenceMinutes,
        pressure,
        days: day.days,
        submittedPerDay: perDay(day.submitted),
        fullQueueMinutesPerDay: perDay(day.fullMinutes),
        refusedPerDay: perDay(day.refused),
        cancelsPerDay: perDay(day.cancelled),
        healthyCancelsPerDay: perDay(day.healthyCancelled),
        stuckCancelsPerDay: perDay(day.stuckCancelled),
        runsPerDay: perDay(day.runs),
        zuoraRequestsPerDay: perDay(day.requests),
        costPerTenantMonth: usd(cost.total),
        variablePerTenantMonth: usd(cost.variableTotal),
        dominant: cost.dominant.line,
        dominantVariable: Object.entries(cost.variable).reduce((a, b) => (b[1] > a[1] ? b : a))[0],
        meetsCostGoals:
          cost.variableTotal <= GOALS.variablePerTenant && cost.total <= GOALS.totalPerTenant,
      };
    }),
  );
  for (const option of options) emit({ figure: 'cadence', ...option, seeds: seeds.join(',') });
  emit(recommend(options));
}

type CadenceOption = {
  cadenceMinutes: number;
  pressure: boolean;
  fullQueueMinutesPerDay: number;
  refusedPerDay: number;
  healthyCancelsPerDay: number;
  costPerTenantMonth: number;
  variablePerTenantMonth: number;
  meetsCostGoals: boolean;
};

/**
 * The recommendation, from the figures: among the options within the cost goals (all of them if
 * none is), the fewest refused submissions (within half a refusal a day of the best), then the
 * fewest healthy jobs cancelled, then the lowest cost.
 */
export function recommend(options: readonly CadenceOption[]) {
  const name = (o: CadenceOption) =>
    `${o.cadenceMinutes}-minute, pressure ${o.pressure ? 'on' : 'off'}`;
  const baseline = options.find((o) => o.cadenceMinutes === 15 && !o.pressure) ?? options[0];
  const affordable = options.filter((o) => o.meetsCostGoals);
  const pool = affordable.length > 0 ? affordable : options;
  const fewest = Math.min(...pool.map((o) => o.refusedPerDay));
  const [choice] = pool
    .filter((o) => o.refusedPerDay <= fewest + 0.5)
    .sort(
      (a, b) =>
        a.healthyCancelsPerDay - b.healthyCancelsPerDay ||
        a.costPerTenantMonth - b.costPerTenantMonth,
    ) as [CadenceOption];
  const unaffordable = options
    .filter((o) => !o.meetsCostGoals && o.refusedPerDay < choice.refusedPerDay)
    .map(
      (o) =>
        `${name(o)} refuses ${o.refusedPerDay}/day but costs $${o.variablePerTenantMonth} variable`,
    );
  const base = baseline as CadenceOption;
  return {
    figure: 'recommendation',
    cadenceMinutes: choice.cadenceMinutes,
    pressure: choice.pressure,
    text:
      `${name(choice)}: ${choice.refusedPerDay} refused submissions and ${choice.fullQueueMinutesPerDay} full-queue minutes a day ` +
      `(15-minute without pressure: ${base.refusedPerDay} and ${base.fullQueueMinutesPerDay}), ` +
      `${choice.healthyCancelsPerDay} healthy jobs cancelled a day, $${choice.costPerTenantMonth} per tenant-month ` +
      `($${round(choice.costPerTenantMonth - base.costPerTenantMonth, 4)} more than 15-minute)` +
      (affordable.length === 0 ? '; no option meets the cost goals' : '') +
      (unaffordable.length > 0
        ? `; not chosen (over the $${GOALS.variablePerTenant} variable goal): ${unaffordable.join('; ')}`
        : ''),
  };
}
