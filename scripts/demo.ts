/**
 * `npm start`: the janitor at work on a fleet of three emulated tenants, no AWS account or Zuora
 * tenant needed. Starts a Zuora emulator per tenant and a Secrets Manager emulator on loopback,
 * configures the fleet with one file (as a deployment's functions find it in their code), seeds
 * the tenants, then invokes the real sweep handler for every tenant at once, three times: a dry
 * run on demand, a scheduled run, and a scheduled run that finds nothing left. One tenant's
 * secret holds credentials Zuora rejects: it fails, alone, and the summary says so. Last, a
 * fourth tenant whose LIVE queue is full, held by hung queries younger than the 2-hour
 * threshold, is relieved in one run by the pressure rule.
 */

import { startFleet } from '../test/emulator/fleet.ts';
import { SERVICE_USER, seedDemoTenant } from '../test/emulator/tenant.ts';
import { defaultClient } from '../test/emulator/zuora.ts';

const SWEPT = ['prod-us', 'prod-eu', 'sandbox'];
const fleet = await startFleet([...SWEPT, 'reporting'], {
  defaults: {
    dryRun: false,
    staleAfter: '2h',
    protectCreatedBy: [SERVICE_USER],
    protectQueryPattern: 'nightly-export',
  },
  tenants: {
    reporting: { pressure: { headroom: 2, staleAfter: '30m', retriedStaleAfter: '10m' } },
  },
});
try {
  const seeded = new Map(
    ['prod-us', 'prod-eu'].map((name) => [name, seedDemoTenant(fleet.tenant(name))] as const),
  );
  seedDemoTenant(fleet.tenant('sandbox'));
  // The sandbox's secret holds a client secret Zuora does not accept.
  fleet
    .tenant('sandbox')
    .rotateSecret(defaultClient.clientId, 'rotated-in-zuora-not-in-the-secret');

  Object.assign(process.env, fleet.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-only',
    // The handler's own JSON logs and metrics would bury the tables; errors still show.
    POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorDemo',
  });
  const { handler } = await import('../functions/sweep.ts');
  const { formatReport } = await import('../lib/cli/format.ts');

  console.log('A fleet of three emulated Zuora tenants, configured by one file:');
  for (const name of SWEPT) {
    const emulator = fleet.tenant(name);
    console.log(`  ${name.padEnd(8)} ${emulator.url}  ${emulator.jobs().length} Data Query jobs`);
  }
  const demo = seeded.get('prod-us');
  console.log(
    `Each: ${(demo?.staleEligible.length ?? 0) + 1} stale (over 2h) and unprotected, ${demo?.protected.length} stale but protected (service user / nightly-export), ${demo?.fresh.length} fresh, ${demo?.finished.length} finished.`,
  );
  console.log(`The sandbox's secret holds credentials Zuora rejects.\n`);

  const invoke = (event: unknown) => {
    const end = Date.now() + 60_000;
    return handler(
      event as never,
      {
        functionName: 'query-janitor-sweep',
        awsRequestId: crypto.randomUUID(),
        getRemainingTimeInMillis: () => end - Date.now(),
      } as never,
    );
  };
  const commandFor = (tenant: string) => ({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Sweep Query Jobs',
    source: 'query-janitor',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    // A live deployment; the command asks for a dry run (events may make a run more careful).
    detail: { tenant, dryRun: true },
  });
  const scheduleFor = (tenant: string) => ({ trigger: 'schedule', tenant });
  const runs = [
    { title: '1. Dry run on demand: what would be cancelled (nothing is)', event: commandFor },
    {
      title:
        '2. Scheduled run: stale jobs cancelled, oldest first (one finishes on its own mid-run)',
      event: scheduleFor,
    },
    { title: '3. Scheduled again: nothing left to do', event: scheduleFor },
  ];
  for (const [index, run] of runs.entries()) {
    if (index === 1) {
      for (const [name, tenant] of seeded)
        fleet.tenant(name).finishAfter(tenant.finishesDuringRun.id, 'get');
    }
    console.log(`== ${run.title}`);
    // One invocation per tenant, all at once: a failing tenant delays or fails no other.
    const results = await Promise.allSettled(SWEPT.map((tenant) => invoke(run.event(tenant))));
    const summary: string[] = [];
    for (const [i, name] of SWEPT.entries()) {
      const result = results[i] as PromiseSettledResult<unknown>;
      console.log(`-- tenant ${name}`);
      if (result.status === 'rejected') {
        const reason = (result.reason as Error).message;
        console.log(`failed: ${reason}\n`);
        summary.push(`${name} failed`);
        continue;
      }
      const report = result.value as Parameters<typeof formatReport>[0];
      console.log(formatReport(report));
      summary.push(
        `${name} ${report.dryRun ? `would cancel ${report.counts.wouldCancel}` : `cancelled ${report.counts.cancelled}`}`,
      );
    }
    console.log(`fleet: ${summary.join('; ')}\n`);
  }
  const cancelled = SWEPT.map(
    (name) =>
      `${name} ${
        fleet
          .tenant(name)
          .jobs()
          .filter((job) => job.queryStatus === 'cancelled').length
      }`,
  );
  console.log(
    `Cancelled jobs per tenant now (including those cancelled before): ${cancelled.join(', ')}.`,
  );
  console.log('The sandbox was never touched: fix its secret and its next run sweeps it.\n');

  // A full queue: nothing is over 2 hours old, yet every new query is refused.
  const reporting = fleet.tenant('reporting');
  for (const [ageMinutes, remainingRetries] of [
    [55, 3], // hung
    [14, 1], // hung before: Zuora timed it out twice and started it again 14 minutes ago
    [8, 3],
    [6, 3],
    [2, 3],
  ] as const) {
    reporting.addJob({ queryStatus: 'in_progress', ageMinutes, remainingRetries });
  }
  for (let i = 0; i < 10; i++)
    reporting.addJob({ queryStatus: 'accepted', ageMinutes: 25 - 2 * i });
  console.log(
    '== 4. A full queue: tenant reporting, pressure rule on (headroom 2, 30m, retried 10m)',
  );
  console.log(
    'Its LIVE queue is full (10 of 10) behind 5 running queries, two of them hung; none looks 2 hours old, so the normal rule waits while every new query is refused.',
  );
  const report = (await invoke(scheduleFor('reporting'))) as Parameters<typeof formatReport>[0];
  console.log(formatReport(report));
  console.log('Done.');
} finally {
  await fleet.close();
}
