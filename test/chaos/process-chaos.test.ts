/**
 * Chaos through what ships, run as processes: the CLI (`bin/query-janitor.ts` in a child process
 * of its own) and each synthesized function bundle under the real Lambda runtime interface
 * client, warm across its invocations. Same harness, faults and checks as the in-process suite
 * (`support/chaos.ts`); every other seed answers like a hostile Zuora. Nothing here keeps the
 * event loop of the code under test alive for it: a process that dies, hangs or exits early
 * fails its seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetryableFailure, type Report } from '../../lib/janitor/index.ts';
import { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';
import { ZuoraEmulator } from '../emulator/zuora.ts';
import { synthesizeBundles } from '../support/bundles.ts';
import {
  assertAccounting,
  assertLiveness,
  assertNoCanary,
  assertNothingWronglyCancelled,
  assertSafety,
  CHAOS_ENV,
  type ChaosWorld,
  calmDown,
  chaosTotals,
  injectChaos,
  prng,
  seedTenant,
} from '../support/chaos.ts';
import { cancelEvent } from '../support/events.ts';
import { runCliProcess } from '../support/processes.ts';
import { RicFunction } from '../support/ric.ts';

const SEEDS = 20;
const world = { secretName: 'query-janitor/chaos' } as ChaosWorld;
let workDir: string;
let bundles: { sweep: string; cancel: string };
const totals = { cli: chaosTotals(), sweepBundle: chaosTotals(), cancelBundle: chaosTotals() };

beforeAll(async () => {
  world.zuora = await ZuoraEmulator.start();
  world.secrets = await SecretsManagerEmulator.start();
  workDir = mkdtempSync(join(tmpdir(), 'qj-chaos-'));
  bundles = synthesizeBundles(join(workDir, 'cdk.out'));
}, 120_000);

afterAll(async () => {
  await world.zuora?.close();
  await world.secrets?.close();
  rmSync(workDir, { recursive: true, force: true });
  console.info(`chaos totals (processes): ${JSON.stringify(totals)}`);
});

/** What every process gets: the emulators, the policy, the most logging it can do. */
function processEnv(): Record<string, string> {
  return {
    ZUORA_SECRET_ID: world.secretName,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.url,
    POWERTOOLS_SERVICE_NAME: 'query-janitor',
    POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorChaos',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    ...CHAOS_ENV,
  };
}

/** First run short on time, later ones with room; the first has the faults. */
const runBudgetMs = (random: ReturnType<typeof prng>, run: number) =>
  run === 1 ? random.int(4_000, 20_000) : 30_000;

describe('the CLI as a process, under seeded faults', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'keeps safety, liveness, accounting, secrecy and its deadline (seed %i)',
    async (seed) => {
      const random = prng(seed * 7919);
      const jobs = seedTenant(world, random, { hostile: seed % 2 === 0 });
      totals.cli.faults += injectChaos(world, random, jobs);
      totals.cli.seeds++;

      for (let run = 1; run <= 3; run++) {
        const budgetMs = runBudgetMs(random, run);
        const before = world.zuora.requests.length;
        const started = Date.now();
        const result = await runCliProcess(
          ['sweep', '--json', '--no-dry-run', '--timeout', `${budgetMs / 1000}s`],
          { env: { ...processEnv(), POWERTOOLS_LOG_LEVEL: 'debug' }, timeoutMs: budgetMs + 15_000 },
        );
        totals.cli.runs++;
        if (run === 1) calmDown(world);

        // Every run ends on its own, on time, with a documented exit code.
        expect(result.signal).toBeNull();
        expect([0, 1]).toContain(result.code);
        expect(Date.now() - started).toBeLessThan(budgetMs + 5_000);
        assertNoCanary(world, result.stdout + result.stderr);
        if (result.stdout.trim() === '') {
          // No report: the run failed as a whole (Zuora or the secret out of reach), and said so.
          totals.cli.failedRuns++;
          expect(result.code).toBe(1);
          expect(result.stderr).toMatch(/query-janitor: /);
          continue;
        }
        const report = JSON.parse(result.stdout) as Report;
        expect(result.code).toBe(report.counts.failed > 0 ? 1 : 0);
        assertSafety(report.runId, world.zuora.requests, totals.cli);
        assertAccounting(report, world.zuora.requests.slice(before));
      }
      assertLiveness(world);
      assertNothingWronglyCancelled(world, jobs);
    },
    120_000,
  );
});

describe('the sweep bundle under the Lambda runtime interface client, under seeded faults', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'answers every invocation, warm, and keeps the same guarantees (seed %i)',
    async (seed) => {
      const random = prng(seed * 104_729);
      const jobs = seedTenant(world, random, { hostile: seed % 2 === 1 });
      totals.sweepBundle.faults += injectChaos(world, random, jobs);
      totals.sweepBundle.seeds++;
      const fn = await RicFunction.start(bundles.sweep, processEnv());
      try {
        for (let run = 1; run <= 3; run++) {
          const budgetMs = runBudgetMs(random, run);
          const before = world.zuora.requests.length;
          const answer = await fn.invoke({ trigger: 'schedule' }, budgetMs);
          totals.sweepBundle.runs++;
          if (run === 1) calmDown(world);

          expect(answer.outcome, fn.output.slice(-2_000)).toMatch(/^(response|error)$/);
          expect(answer.durationMs).toBeLessThan(budgetMs);
          assertNoCanary(world, `${fn.output}${JSON.stringify(answer.payload)}`);
          if (answer.outcome === 'error') {
            totals.sweepBundle.failedRuns++;
            expect((answer.payload as { errorType: string }).errorType).toMatch(
              /^(Zuora|Credentials|DeadlineExceeded)/,
            );
            continue;
          }
          const report = answer.payload as Report;
          assertSafety(report.runId, world.zuora.requests, totals.sweepBundle);
          assertAccounting(report, world.zuora.requests.slice(before));
        }
      } finally {
        await fn.stop();
      }
      // Warm: one cold start served the three invocations (Powertools counts it once).
      expect(fn.output.match(/"ColdStart":1\b/g)?.length).toBe(1);
      assertLiveness(world);
      assertNothingWronglyCancelled(world, jobs);
    },
    120_000,
  );
});

describe('the cancel bundle under the Lambda runtime interface client, under seeded faults', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'cancels what was asked, keeps what it could not finish, redriven until done (seed %i)',
    async (seed) => {
      const random = prng(seed * 15_485_863);
      const jobs = seedTenant(world, random, { hostile: seed % 2 === 0 });
      totals.cancelBundle.faults += injectChaos(world, random, jobs);
      totals.cancelBundle.seeds++;
      const named = jobs.filter(() => random.chance(0.5)).map((job) => job.id);
      const ids = [...named, '00000000-0000-4000-8000-000000000000'];
      const fn = await RicFunction.start(bundles.cancel, processEnv());
      // A permanent refusal (403, a 400 other than "finished") is final: no redrive can help.
      const refused = new Set<string>();
      try {
        // The event is kept when work is left (the error carries the counts): redrive it, as ops
        // would, a few times (a loaded machine can spend a whole budget on one slow answer).
        for (let attempt = 1; attempt <= 5; attempt++) {
          const budgetMs = runBudgetMs(random, attempt);
          const before = world.zuora.requests.length;
          const answer = await fn.invoke(
            cancelEvent({ jobIds: ids, reason: `chaos seed ${seed}` }),
            budgetMs,
          );
          totals.cancelBundle.runs++;
          if (attempt === 1) calmDown(world);

          expect(answer.outcome, fn.output.slice(-2_000)).toMatch(/^(response|error)$/);
          assertNoCanary(world, `${fn.output}${JSON.stringify(answer.payload)}`);
          const runs = new Set(
            world.zuora.requests.slice(before).map((r) => r.headers['zuora-track-id']),
          );
          for (const runId of runs) {
            if (runId)
              assertSafety(runId, world.zuora.requests, totals.cancelBundle, {
                requireStale: false,
              });
          }
          if (answer.outcome === 'error') {
            totals.cancelBundle.failedRuns++;
            const { errorType, errorMessage } = answer.payload as Record<string, string>;
            expect(errorType).toMatch(/^(IncompleteRunError|Zuora|Credentials|DeadlineExceeded)/);
            if (errorType === 'IncompleteRunError') expect(errorMessage).toMatch(/requested \d+/);
            continue;
          }
          const report = answer.payload as Report;
          expect(report.counts.stale).toBe(ids.length);
          assertAccounting(report, world.zuora.requests.slice(before));
          for (const job of report.jobs) {
            if (job.outcome === 'failed' && !isRetryableFailure(job)) refused.add(job.id);
          }
          break;
        }
      } finally {
        await fn.stop();
      }
      assertLiveness(
        world,
        named.filter((id) => !refused.has(id)),
      );
    },
    120_000,
  );
});
