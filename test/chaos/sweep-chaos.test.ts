/**
 * Chaos runs in process: for many seeds, a tenant with stale, fresh, protected and terminal jobs
 * is swept three times by the real sweep handler while the emulator injects seeded faults (5xx,
 * 429 with Retry-After, dropped connections, latency spikes, echoing error bodies, lost cancel
 * answers, a token expiring mid-run, the secret rotated mid-run, jobs finishing mid-run) and,
 * for every other seed, answers like a hostile Zuora. Deterministic per seed; sleeps only as long
 * as the faults ask. The same harness drives the CLI as a process and the bundles under the
 * Lambda runtime interface client (`test/chaos/*-process.test.ts`).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';
import { ZuoraEmulator } from '../emulator/zuora.ts';
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
import { captureOutput, exposedText, lambdaContext, loadFunction } from '../support/lambda.ts';

const SEEDS = 40;
const world = { secretName: 'query-janitor/chaos' } as ChaosWorld;
let handler: Awaited<ReturnType<typeof loadFunction>>;
const totals = chaosTotals();

beforeAll(async () => {
  world.zuora = await ZuoraEmulator.start();
  world.secrets = await SecretsManagerEmulator.start();
  handler = await loadFunction('sweep', {
    ZUORA_SECRET_ID: world.secretName,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.url,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    ...CHAOS_ENV,
  });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world.zuora.close();
  await world.secrets.close();
  // The figures the closing note quotes.
  console.info(`chaos totals (in process): ${JSON.stringify(totals)}`);
});

describe('sweep under seeded faults, in process', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'keeps safety, liveness, accounting, secrecy and the deadline (seed %i)',
    async (seed) => {
      const random = prng(seed);
      const jobs = seedTenant(world, random, { hostile: seed % 2 === 0 });
      totals.faults += injectChaos(world, random, jobs);
      totals.seeds++;

      for (let run = 1; run <= 3; run++) {
        // The first run may be short on time; later runs have room to finish the work.
        const remainingMs = run === 1 ? random.int(4_000, 20_000) : 30_000;
        const end = Date.now() + remainingMs;
        const before = world.zuora.requests.length;
        const captured = await captureOutput(() =>
          handler({ trigger: 'schedule' }, lambdaContext(remainingMs)),
        );
        totals.runs++;
        const requests = world.zuora.requests.slice(before);

        expect(Date.now()).toBeLessThan(end);
        for (const request of requests) expect(request.answeredAt).toBeLessThanOrEqual(end);
        assertNoCanary(
          world,
          `${captured.output}${JSON.stringify(captured.result)}${exposedText(captured.error)}`,
        );
        if (run === 1) calmDown(world);
        if (captured.error) {
          // A run may fail as a whole only when Zuora could not be listed (faults on every try).
          totals.failedRuns++;
          expect((captured.error as Error).name).toMatch(/^(Zuora|Credentials|DeadlineExceeded)/);
          continue;
        }
        const report = captured.result as Report;
        assertSafety(report.runId, world.zuora.requests, totals);
        assertAccounting(report, requests);
      }
      assertLiveness(world);
      assertNothingWronglyCancelled(world, jobs);
    },
  );
});
