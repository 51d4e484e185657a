/**
 * Chaos runs: for many seeds, a tenant with stale, fresh, protected and terminal jobs is swept
 * three times by the real sweep handler while the emulator injects seeded faults (5xx, 429 with
 * Retry-After, dropped connections, latency spikes, a token expiring mid-run, the secret rotated
 * mid-run, jobs finishing mid-run). Deterministic per seed; sleeps only as long as the faults ask.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';
import {
  defaultClient,
  type EmulatedJob,
  type Fault,
  type RecordedRequest,
  type Route,
  ZuoraEmulator,
} from '../emulator/zuora.ts';
import { captureOutput, lambdaContext, loadFunction } from '../support/lambda.ts';

const SEEDS = 40;
const SECRET = 'query-janitor/chaos';
const SERVICE_USER = 'c0ffee00-0000-4000-8000-00000000c0fe';
const STALE_MS = 2 * 3_600_000;
const USERS = [defaultClient.userId, 'a1b2c3d4-0000-4000-8000-00000000a002', SERVICE_USER];

/** mulberry32: a small, fast, seedable PRNG. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

let zuora: ZuoraEmulator;
let secrets: SecretsManagerEmulator;
let handler: Awaited<ReturnType<typeof loadFunction>>;
const totals = { seeds: 0, runs: 0, faults: 0, deletes: 0, wrongCancels: 0, failedRuns: 0 };

beforeAll(async () => {
  zuora = await ZuoraEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  secrets.put(SECRET, secretValue(defaultClient.clientSecret));
  handler = await loadFunction('sweep', {
    ZUORA_SECRET_ID: SECRET,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    JANITOR_DRY_RUN: 'false',
    JANITOR_STALE_AFTER: '2h',
    JANITOR_MAX_CANCELS_PER_RUN: '10',
    JANITOR_CONCURRENCY: '4',
    JANITOR_PROTECT_CREATED_BY: SERVICE_USER,
    JANITOR_PROTECT_QUERY_PATTERN: 'nightly',
  });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await zuora.close();
  await secrets.close();
  // The figures the closing note quotes.
  console.info(`chaos totals: ${JSON.stringify(totals)}`);
});

function secretValue(clientSecret: string): string {
  return JSON.stringify({ clientId: defaultClient.clientId, clientSecret, baseUrl: zuora.url });
}

function seedTenant(random: ReturnType<typeof prng>): EmulatedJob[] {
  const count = random.int(6, 24);
  return Array.from({ length: count }, () => {
    const terminal = random.chance(0.2);
    return zuora.addJob({
      ageMinutes: random.chance(0.6) ? random.int(125, 3_000) : random.int(0, 110),
      queryStatus: terminal
        ? random.pick(['completed', 'failed', 'cancelled'] as const)
        : random.pick(['accepted', 'in_progress'] as const),
      createdBy: random.pick(USERS),
      query: random.chance(0.15)
        ? 'select Id from Account /* nightly */'
        : `select Id from Invoice where n = ${random.int(1, 9)}`,
    });
  });
}

const isProtected = (job: Pick<EmulatedJob, 'createdBy' | 'query'>) =>
  job.createdBy === SERVICE_USER || /nightly/.test(job.query);
const isCancellable = (job: Pick<EmulatedJob, 'queryStatus'>) =>
  job.queryStatus === 'accepted' || job.queryStatus === 'in_progress';
const isStaleAt = (job: Pick<EmulatedJob, 'updatedOn'>, at: number) =>
  at - Date.parse(job.updatedOn) > STALE_MS;

/** Schedules this seed's faults and mid-run events; returns how many it injected. */
function injectChaos(random: ReturnType<typeof prng>, jobs: EmulatedJob[]): number {
  let injected = 0;
  const routes: Route[] = ['list', 'get', 'cancel', 'token'];
  const faults = random.int(1, 6);
  for (let i = 0; i < faults; i++) {
    const fault: Fault = random.pick<Fault>([
      { kind: 'status', status: random.pick([500, 502, 503, 504]) },
      { kind: 'status', status: 429, retryAfter: random.pick(['0', '1']) },
      { kind: 'drop' },
      { kind: 'delay', ms: random.int(50, 400) },
    ]);
    zuora.inject(fault, { route: random.pick(routes), times: random.int(1, 2) });
    injected++;
  }
  // Mid-run events, triggered by the n-th request.
  const events: Array<[number, () => void]> = [];
  if (random.chance(0.4)) events.push([random.int(2, 12), () => zuora.expireTokens()]);
  if (random.chance(0.3)) {
    events.push([
      random.int(2, 12),
      () => {
        const rotated = `rotated-secret-${random.int(1, 1e9)}`;
        zuora.rotateSecret(defaultClient.clientId, rotated);
        secrets.put(SECRET, secretValue(rotated));
        zuora.expireTokens();
      },
    ]);
  }
  const running = jobs.filter(isCancellable);
  for (let i = random.int(0, 3); i > 0 && running.length > 0; i--) {
    const job = random.pick(running);
    events.push([
      random.int(1, 20),
      () => zuora.setStatus(job.id, random.pick(['completed', 'failed'] as const)),
    ]);
  }
  injected += events.length;
  let seen = 0;
  zuora.onRequest = () => {
    seen++;
    for (const [at, event] of events) if (at === seen) event();
  };
  return injected;
}

/** Every DELETE targeted a job that its latest read in the same run showed eligible. */
function assertSafety(runId: string, requests: RecordedRequest[]): void {
  const ofRun = requests.filter((request) => request.headers['zuora-track-id'] === runId);
  for (const [index, request] of ofRun.entries()) {
    if (request.route !== 'cancel') continue;
    totals.deletes++;
    const lastRead = ofRun
      .slice(0, index)
      .filter((r) => r.route === 'get' && r.jobId === request.jobId && r.status === 200)
      .at(-1)?.jobBefore;
    const wasEligible =
      lastRead !== undefined &&
      isCancellable(lastRead) &&
      !isProtected(lastRead) &&
      isStaleAt(lastRead, request.receivedAt);
    if (!wasEligible) totals.wrongCancels++;
    expect(wasEligible, `DELETE ${request.jobId} in ${runId} without an eligible read`).toBe(true);
    // Whatever happened since the read, Zuora only cancels a running job.
    if (request.status === 200) expect(isCancellable(request.jobBefore as EmulatedJob)).toBe(true);
  }
}

/** Counts add up, and cancelled jobs match the emulator's successful DELETEs for this run. */
function assertAccounting(report: Report, requests: RecordedRequest[]): void {
  const { counts } = report;
  const outcomes =
    counts.cancelled +
    counts.wouldCancel +
    counts.alreadyFinished +
    counts.notFound +
    counts.protected +
    counts.deferred +
    counts.failed;
  expect(outcomes).toBe(counts.stale);
  expect(report.jobs).toHaveLength(counts.stale);
  expect(new Set(report.jobs.map((job) => job.id)).size).toBe(report.jobs.length);
  const succeeded = requests
    .filter(
      (r) =>
        r.headers['zuora-track-id'] === report.runId && r.route === 'cancel' && r.status === 200,
    )
    .map((r) => r.jobId)
    .sort();
  const reportedCancelled = report.jobs
    .filter((job) => job.outcome === 'cancelled')
    .map((job) => job.id)
    .sort();
  expect(reportedCancelled).toEqual(succeeded);
}

describe('sweep under seeded faults', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'keeps safety, liveness, accounting and the deadline (seed %i)',
    async (seed) => {
      const random = prng(seed);
      zuora.reset();
      secrets.reset();
      secrets.put(SECRET, secretValue(defaultClient.clientSecret));
      const jobs = seedTenant(random);
      totals.faults += injectChaos(random, jobs);
      totals.seeds++;

      for (let run = 1; run <= 3; run++) {
        // The first run may be short on time; later runs have room to finish the work.
        const remainingMs = run === 1 ? random.int(4_000, 20_000) : 30_000;
        const end = Date.now() + remainingMs;
        const before = zuora.requests.length;
        const { result, error } = await captureOutput(() =>
          handler({ trigger: 'schedule' }, lambdaContext(remainingMs)),
        );
        totals.runs++;
        const requests = zuora.requests.slice(before);

        expect(Date.now()).toBeLessThan(end);
        for (const request of requests) expect(request.answeredAt).toBeLessThanOrEqual(end);
        if (error) {
          // A run may fail as a whole only when Zuora could not be listed (faults on every try).
          totals.failedRuns++;
          expect((error as Error).name).toMatch(/^Zuora|CredentialsError/);
          continue;
        }
        const report = result as Report;
        assertSafety(report.runId, zuora.requests);
        assertAccounting(report, requests);
        if (run === 1) zuora.clearFaults();
      }

      // Liveness: every job still running, stale and unprotected was cancelled within three runs.
      const now = Date.now();
      const leftBehind = zuora
        .jobs()
        .filter((job) => isCancellable(job) && !isProtected(job) && isStaleAt(job, now));
      expect(leftBehind.map((job) => job.id)).toEqual([]);
      // And nothing protected or fresh was ever cancelled.
      for (const job of jobs) {
        const stored = zuora.job(job.id) as EmulatedJob;
        if (stored.queryStatus === 'cancelled' && job.queryStatus !== 'cancelled') {
          expect(isProtected(job)).toBe(false);
          expect(isStaleAt(job, now)).toBe(true);
        }
      }
    },
  );
});
