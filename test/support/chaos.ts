/**
 * The chaos harness shared by the in-process suite, the CLI run as a process and the bundles run
 * under the Lambda runtime interface client. Per seed: a tenant of stale, fresh, protected and
 * terminal jobs; faults and mid-run events for the first run; hostile answers if asked. And the
 * checks that must hold whatever happened:
 *
 * - safety: every DELETE targeted a job that the last read of the same run *as sent on the wire*
 *   showed eligible (judged by an independent statement of the rule), and that was eligible in
 *   truth (the emulator's own record);
 * - accounting: counts add up, and `cancelled` matches the cancels that took effect;
 * - liveness: every judgeable, eligible job is cancelled once runs have a fault-free window;
 * - no canary: no form of the client secret or of any token in anything printed or returned.
 */
import { expect } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import type { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';
import {
  defaultClient,
  type EmulatedJob,
  type Fault,
  type RecordedRequest,
  type Route,
  type ZuoraEmulator,
} from '../emulator/zuora.ts';
import { leakedForms, SECRET_CANARY, TOKEN_CANARY } from './canaries.ts';

/** The policy every chaos run applies (as `JANITOR_*` variables). */
export const CHAOS_ENV = {
  JANITOR_DRY_RUN: 'false',
  JANITOR_STALE_AFTER: '2h',
  JANITOR_MAX_CANCELS_PER_RUN: '10',
  JANITOR_CONCURRENCY: '4',
  JANITOR_PROTECT_CREATED_BY: 'c0ffee00-0000-4000-8000-00000000c0fe',
  JANITOR_PROTECT_QUERY_PATTERN: 'nightly',
} as const;
const SERVICE_USER = CHAOS_ENV.JANITOR_PROTECT_CREATED_BY;
const STALE_MS = 2 * 3_600_000;
const USERS = [defaultClient.userId, 'a1b2c3d4-0000-4000-8000-00000000a002', SERVICE_USER];

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number) {
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

/** A seeded random source. */
export type Random = ReturnType<typeof prng>;

/** The emulators a chaos run talks to, and the secret's name. */
export interface ChaosWorld {
  zuora: ZuoraEmulator;
  secrets: SecretsManagerEmulator;
  secretName: string;
}

/** The secret value for `clientSecret` on `world`'s Zuora. */
export function secretValue(world: ChaosWorld, clientSecret: string): string {
  return JSON.stringify({
    clientId: defaultClient.clientId,
    clientSecret,
    baseUrl: world.zuora.url,
  });
}

/**
 * A fresh tenant for `seed`: the canary secret, canary tokens, 6 to 24 jobs, and (with
 * `hostile`) hostile answers until {@link calmDown}. Returns a snapshot of the jobs as seeded
 * (copies, not the emulator's live records), so checks can compare the end state against it.
 */
export function seedTenant(world: ChaosWorld, random: Random, options: { hostile?: boolean } = {}) {
  const { zuora, secrets } = world;
  zuora.reset();
  secrets.reset();
  zuora.tokenPrefix = TOKEN_CANARY;
  zuora.rotateSecret(defaultClient.clientId, SECRET_CANARY);
  secrets.put(world.secretName, secretValue(world, SECRET_CANARY));
  if (options.hostile) zuora.hostile(random.int(1, 2 ** 30));
  const count = random.int(6, 24);
  return Array.from({ length: count }, () => {
    const terminal = random.chance(0.2);
    const seeded = zuora.addJob({
      ageMinutes: random.chance(0.6) ? random.int(125, 3_000) : random.int(0, 110),
      queryStatus: terminal
        ? random.pick(['completed', 'failed', 'cancelled'] as const)
        : random.pick(['accepted', 'in_progress'] as const),
      createdBy: random.pick(USERS),
      query: random.chance(0.15)
        ? 'select Id from Account /* nightly */'
        : `select Id, Email from Contact where AccountId = '${random.int(1, 9)}' and Email like '%@example.com'`,
    });
    return structuredClone(seeded);
  });
}

/** Schedules the first run's faults and mid-run events; returns how many. */
export function injectChaos(world: ChaosWorld, random: Random, jobs: EmulatedJob[]): number {
  const { zuora, secrets } = world;
  let injected = 0;
  const routes: Route[] = ['list', 'get', 'cancel', 'token'];
  for (let i = random.int(1, 6); i > 0; i--) {
    const fault: Fault = random.pick<Fault>([
      { kind: 'status', status: random.pick([500, 502, 503, 504]) },
      { kind: 'status', status: 429, retryAfter: random.pick(['0', '1']) },
      { kind: 'drop' },
      { kind: 'delay', ms: random.int(50, 400) },
      {
        kind: 'echo',
        status: random.pick([400, 500]),
        format: random.pick(['json', 'html'] as const),
      },
      { kind: 'drop-after' },
    ]);
    zuora.inject(fault, { route: random.pick(routes), times: random.int(1, 2) });
    injected++;
  }
  const events: Array<[number, () => void]> = [];
  if (random.chance(0.4)) events.push([random.int(2, 12), () => zuora.expireTokens()]);
  if (random.chance(0.3)) {
    events.push([
      random.int(2, 12),
      () => {
        const rotated = `${SECRET_CANARY}-rotated-${random.int(1, 1e9)}`;
        zuora.rotateSecret(defaultClient.clientId, rotated);
        secrets.put(world.secretName, secretValue(world, rotated));
        zuora.expireTokens();
      },
    ]);
  }
  const running = jobs.filter(isCancellable);
  for (let i = random.int(0, 3); i > 0 && running.length > 0; i--) {
    const job = random.pick(running);
    const at = random.int(1, 20);
    const status = random.pick(['completed', 'failed'] as const);
    events.push([
      at,
      () => {
        // Only a job still running finishes on its own: one the janitor cancelled stays so.
        const current = zuora.job(job.id);
        if (current && isCancellable(current)) zuora.setStatus(job.id, status);
      },
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

/** Ends the fault window: no more injected faults or tampered answers (jobs keep their form). */
export function calmDown(world: ChaosWorld): void {
  world.zuora.clearFaults();
  world.zuora.calm();
}

const isCancellable = (job: Pick<EmulatedJob, 'queryStatus'>) =>
  job.queryStatus === 'accepted' || job.queryStatus === 'in_progress';

/** The truth: is this stored job (stale and) unprotected at `at`? */
function eligibleInTruth(job: EmulatedJob, at: number, requireStale = true): boolean {
  return (
    isCancellable(job) &&
    job.createdBy !== SERVICE_USER &&
    !/nightly/.test(job.query) &&
    (!requireStale || at - Date.parse(job.updatedOn) > STALE_MS)
  );
}

/** A strict reading of an ISO 8601 date-time, offset-less meaning UTC (the rule, stated again). */
function readDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!match || Number(match[1]) < 2000) return undefined;
  const at = Date.parse(`${value.slice(0, 19)}${match[7]?.slice(0, 4) ?? ''}${match[8] ?? 'Z'}`);
  const day = Date.parse(`${value.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(at) || Number.isNaN(day)) return undefined;
  return new Date(day).toISOString().slice(0, 10) === value.slice(0, 10) ? at : undefined;
}

/** What the janitor could see: is the job, as sent, judgeable and eligible at `at`? */
function eligibleOnWire(sent: Record<string, unknown>, at: number, requireStale = true): boolean {
  if (sent.queryStatus !== 'accepted' && sent.queryStatus !== 'in_progress') return false;
  const updated = readDate(sent.updatedOn);
  if (updated === undefined || (requireStale && at - updated <= STALE_MS)) return false;
  const owner = sent.createdBy;
  if (typeof owner !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(owner)) return false;
  if (owner.toLowerCase() === SERVICE_USER) return false;
  return typeof sent.query === 'string' && !/nightly/.test(sent.query);
}

/** True when the janitor can judge the job as Zuora sends it (every field it needs is readable). */
export function judgeable(world: ChaosWorld, job: EmulatedJob): boolean {
  const sent = { ...job, ...world.zuora.hostileFields(job), ...job.wire };
  const owner = sent.createdBy;
  return (
    readDate(sent.updatedOn) !== undefined &&
    typeof owner === 'string' &&
    /^[\x21-\x7e]{1,256}$/.test(owner) &&
    typeof sent.query === 'string'
  );
}

/** Totals across seeds, for the figures a suite prints. */
export interface ChaosTotals {
  seeds: number;
  runs: number;
  faults: number;
  deletes: number;
  wrongCancels: number;
  failedRuns: number;
  hostileAnswers: number;
}

/** Zeroed totals. */
export function chaosTotals(): ChaosTotals {
  return {
    seeds: 0,
    runs: 0,
    faults: 0,
    deletes: 0,
    wrongCancels: 0,
    failedRuns: 0,
    hostileAnswers: 0,
  };
}

/**
 * Every DELETE of the run targeted a job its latest read showed eligible, on the wire and in
 * truth. Sweeps need the job stale; cancel requests (`requireStale: false`) whatever its age.
 */
export function assertSafety(
  runId: string,
  requests: RecordedRequest[],
  totals: ChaosTotals,
  options: { requireStale?: boolean } = {},
): void {
  const requireStale = options.requireStale ?? true;
  const ofRun = requests.filter((request) => request.headers['zuora-track-id'] === runId);
  for (const [index, request] of ofRun.entries()) {
    if (request.hostility) totals.hostileAnswers++;
    if (request.route !== 'cancel') continue;
    totals.deletes++;
    const lastRead = ofRun
      .slice(0, index)
      .filter((r) => r.route === 'get' && r.jobId === request.jobId && r.status === 200)
      .at(-1);
    const sent = (lastRead?.sent as { data?: Record<string, unknown> } | undefined)?.data;
    const onWire = sent !== undefined && eligibleOnWire(sent, request.receivedAt, requireStale);
    const inTruth =
      lastRead?.jobBefore !== undefined &&
      eligibleInTruth(lastRead.jobBefore as EmulatedJob, request.receivedAt, requireStale);
    if (!(onWire && inTruth)) totals.wrongCancels++;
    expect(onWire && inTruth, `DELETE ${request.jobId} in ${runId} without an eligible read`).toBe(
      true,
    );
  }
}

/** Counts add up; `cancelled` is exactly the run's cancels that took effect. */
export function assertAccounting(report: Report, requests: RecordedRequest[]): void {
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
  const tookEffect = requests
    .filter((r) => r.headers['zuora-track-id'] === report.runId && r.cancelledJob)
    .map((r) => r.jobId as string)
    .sort();
  const reported = report.jobs
    .filter((job) => job.outcome === 'cancelled')
    .map((job) => job.id)
    .sort();
  // A cancel whose answer was lost is reported cancelled only once a re-read confirmed it; one
  // the run could not confirm (deadline) may be missing from the report, never the reverse.
  for (const id of reported) expect(tookEffect).toContain(id);
  const unconfirmed = tookEffect.filter((id) => !reported.includes(id));
  for (const id of unconfirmed) {
    expect(report.jobs.find((job) => job.id === id)?.outcome).toMatch(/deferred|failed/);
  }
}

/**
 * Every judgeable job still running, stale and unprotected has been cancelled (of `only`, when
 * given: the ids a cancel request named, whatever their age).
 */
export function assertLiveness(world: ChaosWorld, only?: readonly string[]): void {
  const now = Date.now();
  const leftBehind = world.zuora
    .jobs()
    .filter((job) => only === undefined || only.includes(job.id))
    .filter((job) => eligibleInTruth(job, now, only === undefined) && judgeable(world, job));
  expect(leftBehind.map((job) => job.id)).toEqual([]);
}

/**
 * Nothing protected or fresh was ever cancelled. `jobs` is the snapshot {@link seedTenant}
 * returned: the emulator's current record says whether a job ended cancelled, the snapshot what
 * it was when seeded (a cancel rewrites `updatedOn`, so age is judged on the seeded one).
 */
export function assertNothingWronglyCancelled(world: ChaosWorld, jobs: EmulatedJob[]): void {
  const now = Date.now();
  for (const job of jobs) {
    const stored = world.zuora.job(job.id) as EmulatedJob;
    expect(stored, `job ${job.id} is still stored`).toBeDefined();
    expect(stored, 'the seeded jobs are a snapshot, not the live records').not.toBe(job);
    if (stored.queryStatus === 'cancelled' && job.queryStatus !== 'cancelled') {
      expect(job.createdBy).not.toBe(SERVICE_USER);
      expect(job.query).not.toMatch(/nightly/);
      expect(now - Date.parse(job.updatedOn)).toBeGreaterThan(STALE_MS);
    }
  }
}

/** No form of the client secret (original or rotated) or of any issued token in `text`. */
export function assertNoCanary(world: ChaosWorld, text: string): void {
  const secrets = [SECRET_CANARY, ...rotatedSecrets(world)];
  expect(
    leakedForms(text, [...secrets, ...world.zuora.issuedTokens()], defaultClient.clientId),
  ).toEqual([]);
  expect(text).not.toContain(TOKEN_CANARY);
}

function rotatedSecrets(world: ChaosWorld): string[] {
  return world.zuora.requests
    .filter((request) => request.route === 'token')
    .map((request) => new URLSearchParams(request.body).get('client_secret') ?? '')
    .filter((secret) => secret.startsWith(SECRET_CANARY));
}
