/**
 * `npm start`: the janitor at work on an emulated tenant, no AWS account or Zuora tenant needed.
 * Starts the Zuora and Secrets Manager emulators on loopback, seeds 36 jobs, then invokes the
 * real sweep handler three times: dry-run, live, and live again (which finds nothing to do).
 */
import { SERVICE_USER, seedDemoTenant } from '../test/emulator/tenant.ts';
import { startWorld } from '../test/emulator/world.ts';

const world = await startWorld();
const { zuora } = world;
try {
  const tenant = seedDemoTenant(zuora);
  Object.assign(process.env, world.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-only',
    // A live deployment; the first run asks for a dry run (events may make a run more careful).
    JANITOR_DRY_RUN: 'false',
    JANITOR_STALE_AFTER: '2h',
    JANITOR_PROTECT_CREATED_BY: SERVICE_USER,
    JANITOR_PROTECT_QUERY_PATTERN: 'nightly-export',
    // The handler's own JSON logs and metrics would bury the tables; errors still show.
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorDemo',
  });
  const { handler } = await import('../functions/sweep.ts');
  const { formatReport } = await import('../lib/format.ts');

  console.log(`Emulated Zuora tenant at ${zuora.url} with ${zuora.jobs().length} Data Query jobs:`);
  console.log(
    `  ${tenant.staleEligible.length + 1} stale (over 2h) and unprotected, ${tenant.protected.length} stale but protected (service user / nightly-export),`,
  );
  console.log(
    `  ${tenant.fresh.length} fresh, ${tenant.finished.length} already completed, failed or cancelled.\n`,
  );

  const sweepEvent = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Sweep Query Jobs',
    source: 'query-janitor',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { dryRun: true },
  };
  const runs = [
    { title: '1. Dry run on demand: what would be cancelled (nothing is)', event: sweepEvent },
    {
      title: '2. Scheduled run: cancel stale jobs, oldest first (one finishes on its own mid-run)',
      event: { trigger: 'schedule' },
    },
    { title: '3. Scheduled again: nothing left to do', event: { trigger: 'schedule' } },
  ];
  for (const [index, run] of runs.entries()) {
    if (index === 1) zuora.finishAfter(tenant.finishesDuringRun.id, 'get');
    const { event } = run;
    const end = Date.now() + 60_000;
    const before = zuora.requests.length;
    const report = await handler(event, {
      functionName: 'query-janitor-sweep',
      awsRequestId: crypto.randomUUID(),
      getRemainingTimeInMillis: () => end - Date.now(),
    } as never);
    console.log(`== ${run.title}`);
    console.log(formatReport(report));
    console.log(`   ${zuora.requests.length - before} requests to Zuora\n`);
  }
  const cancelled = zuora.jobs().filter((job) => job.queryStatus === 'cancelled').length;
  console.log(
    `Done: ${cancelled} jobs are now cancelled in the emulated tenant (including the ones that were cancelled before).`,
  );
} finally {
  await world.close();
}
