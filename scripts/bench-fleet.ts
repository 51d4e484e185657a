/**
 * The fleet figures: 50 emulated tenants with 15 stale jobs each and 50 ms of latency on every
 * Zuora request, swept by the real CLI in child processes, as ops run it:
 *
 * - `query-janitor sweep --config <file> --all-tenants --no-dry-run --json`, one process for the
 *   whole fleet, against every tenant swept alone (`--tenant <name>`, one process each), measured
 *   interleaved in the same run: the goal is all tenants in at most 1.2× the slowest single one;
 * - `query-janitor --version`, the process floor both include (start-up and imports);
 * - the requests an idle tenant's run sends (token and lists), counted at the emulator;
 * - the sweep bundle's peak memory for one such tenant, with the V8 flags Lambda sets for the
 *   deployed memory size.
 */
import { startFleet } from '../test/emulator/fleet.ts';
import { startWorld } from '../test/emulator/world.ts';
import { invokeBundle } from '../test/support/bundles.ts';
import { runCliProcess } from '../test/support/processes.ts';
import {
  emit,
  endedChildrenCpuMs,
  LATENCY_MS,
  lambdaV8Flags,
  median,
  quick,
  round,
} from './bench-support.ts';

const TENANTS = 50;
const STALE_PER_TENANT = 15;
/** The CLI's default concurrency (cancels in flight per tenant). */
const CONCURRENCY = 4;
const FLEET_GOAL_RATIO = 1.2;

/** The value below which a share `q` of `values` falls (nearest rank). */
const quantile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
};

interface Report {
  tenant: string;
  counts: { cancelled: number; failed: number };
}

export async function fleetFigures(sweepBundle: string, memoryMb: number): Promise<void> {
  const names = Array.from(
    { length: TENANTS },
    (_, i) => `tenant-${String(i + 1).padStart(2, '0')}`,
  );
  const fleet = await startFleet(names, {
    defaults: { dryRun: false },
    zuora: { latencyMs: LATENCY_MS },
  });
  const seed = (name: string) => {
    const zuora = fleet.tenant(name);
    for (let i = 0; i < STALE_PER_TENANT; i++) {
      zuora.addJob({
        ageMinutes: 300 + i,
        queryStatus: i % 3 ? 'accepted' : 'in_progress',
        query: `select Id from Account where Id = '${i}'`,
      });
    }
  };
  const env = { AWS_ENDPOINT_URL_SECRETS_MANAGER: fleet.secrets.url };
  const cli = async (args: string[]) => {
    const cpuBefore = endedChildrenCpuMs();
    const emulatorsBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runCliProcess(args, { env, timeoutMs: 600_000 });
    const wallMs = performance.now() - started;
    const emulators = process.cpuUsage(emulatorsBefore);
    return {
      ...result,
      wallMs,
      cpuMs: endedChildrenCpuMs() - cpuBefore,
      // This process serves every emulator while the CLI runs.
      emulatorCpuMs: (emulators.user + emulators.system) / 1000,
    };
  };
  const sweep = ['sweep', '--config', fleet.configPath, '--no-dry-run', '--json'];

  const allMs: number[] = [];
  const allCpuMs: number[] = [];
  const allEmulatorCpuMs: number[] = [];
  const singleMs = new Map<string, number>();
  const singleCpuMs: number[] = [];
  const floorMs: number[] = [];
  const floorCpuMs: number[] = [];
  const runAll = async () => {
    for (const name of names) seed(name);
    const run = await cli([...sweep, '--all-tenants']);
    const reports = JSON.parse(run.stdout) as Report[];
    const cancelled = reports.reduce((total, report) => total + (report.counts?.cancelled ?? 0), 0);
    if (run.code !== 0 || reports.length !== TENANTS || cancelled !== TENANTS * STALE_PER_TENANT) {
      throw new Error(
        `the all-tenants sweep did not cancel ${TENANTS * STALE_PER_TENANT} jobs (exit ${run.code}, ${cancelled} cancelled): ${run.stderr.slice(0, 500)}`,
      );
    }
    allMs.push(run.wallMs);
    allCpuMs.push(run.cpuMs);
    allEmulatorCpuMs.push(run.emulatorCpuMs);
    const version = await cli(['--version']);
    floorMs.push(version.wallMs);
    floorCpuMs.push(version.cpuMs);
  };
  // Every tenant alone, with the whole-fleet runs spread among them so noise hits both alike.
  const singles = quick ? names.slice(0, 10) : names;
  const every = Math.ceil(singles.length / (quick ? 2 : 5));
  const allAt = new Set(singles.map((_, index) => index).filter((index) => index % every === 0));
  for (const [index, name] of singles.entries()) {
    if (allAt.has(index)) await runAll();
    seed(name);
    const run = await cli([...sweep, '--tenant', name]);
    const report = JSON.parse(run.stdout) as Report;
    if (run.code !== 0 || report.counts.cancelled !== STALE_PER_TENANT) {
      throw new Error(`the sweep of ${name} did not cancel ${STALE_PER_TENANT} jobs`);
    }
    singleMs.set(name, run.wallMs);
    singleCpuMs.push(run.cpuMs);
  }
  await runAll();

  // An idle tenant (its stale jobs are all cancelled by now): what one run asks Zuora.
  const idleTenant = names[0] as string;
  const zuora = fleet.tenant(idleTenant);
  const before = zuora.requests.length;
  const idleRun = await cli([...sweep, '--tenant', idleTenant]);
  const idleRequests = zuora.requests.slice(before);
  const byRoute = (route: string) => idleRequests.filter((r) => r.route === route).length;
  await fleet.close();

  const slowest = Math.max(...singleMs.values());
  const slowestTenant = [...singleMs].find(([, ms]) => ms === slowest)?.[0];
  const singleMedian = median([...singleMs.values()]);
  const allMedian = median(allMs);
  const floor = median(floorMs);
  // Per tenant: token, two lists (accepted, in_progress), then a read and a cancel per job.
  const tenantBoundMs = (1 + 2 + 2 * Math.ceil(STALE_PER_TENANT / CONCURRENCY)) * LATENCY_MS;
  emit({
    figure: 'fleet',
    tenants: TENANTS,
    staleJobsPerTenant: STALE_PER_TENANT,
    latencyMs: LATENCY_MS,
    allTenantsWallMsMedian: Math.round(allMedian),
    allTenantsWallMs: allMs.map(Math.round),
    singleTenantRuns: singleMs.size,
    slowestSingleWallMs: Math.round(slowest),
    slowestSingleTenant: slowestTenant,
    singleWallMsMedian: Math.round(singleMedian),
    // Tenants are identical here: the slowest single run is the noisiest one of many.
    singleWallMsMin: Math.round(Math.min(...singleMs.values())),
    singleWallMsP90: Math.round(quantile([...singleMs.values()], 0.9)),
    ratioToSlowestSingle: round(allMedian / slowest, 3),
    ratioToMedianSingle: round(allMedian / singleMedian, 3),
    goalRatio: FLEET_GOAL_RATIO,
    meetsGoal: allMedian / slowest <= FLEET_GOAL_RATIO,
    meetsGoalAgainstMedianSingle: allMedian / singleMedian <= FLEET_GOAL_RATIO,
    processFloorMsMedian: Math.round(floor),
    // CPU time of the CLI process: the whole fleet's run is bound by it on this machine.
    allTenantsCliCpuMsMedian: Math.round(median(allCpuMs)),
    singleCliCpuMsMedian: Math.round(median(singleCpuMs)),
    processFloorCpuMsMedian: Math.round(median(floorCpuMs)),
    allTenantsEmulatorCpuMsMedian: Math.round(median(allEmulatorCpuMs)),
    perTenantZuoraBoundMs: tenantBoundMs,
    allTenantsAboveFloorMs: Math.round(allMedian - floor),
    singleMedianAboveFloorMs: Math.round(singleMedian - floor),
  });
  emit({
    figure: 'idle-tenant-requests',
    what: 'one CLI sweep of a tenant with no stale jobs (fresh process: new token)',
    requests: idleRequests.length,
    token: byRoute('token'),
    list: byRoute('list'),
    get: byRoute('get'),
    cancel: byRoute('cancel'),
    wallMs: Math.round(idleRun.wallMs),
  });

  // Peak memory of the sweep bundle for one tenant, median of three.
  const peaks: number[] = [];
  for (let i = 0; i < 3; i++) {
    const world = await startWorld();
    world.zuora.latencyMs = LATENCY_MS;
    for (let j = 0; j < STALE_PER_TENANT; j++) world.zuora.addJob({ ageMinutes: 300 + j });
    const { invocations, maxRssKb } = await invokeBundle(sweepBundle, [{ trigger: 'schedule' }], {
      nodeFlags: lambdaV8Flags(memoryMb),
      env: { ...world.env, POWERTOOLS_LOG_LEVEL: 'WARN' },
    });
    await world.close();
    if (invocations[0]?.report?.counts.cancelled !== STALE_PER_TENANT) {
      throw new Error('the one-tenant memory run did not cancel its jobs');
    }
    peaks.push(maxRssKb);
  }
  emit({
    figure: 'memory',
    what: `sweep bundle, one tenant with ${STALE_PER_TENANT} stale jobs, ${LATENCY_MS} ms latency, Lambda ${memoryMb} MB flags`,
    peakRssMedianMb: round(median(peaks) / 1024, 1),
    peakRssMinMb: round(Math.min(...peaks) / 1024, 1),
    peakRssMaxMb: round(Math.max(...peaks) / 1024, 1),
    runs: peaks.length,
    memoryMb,
  });
}
