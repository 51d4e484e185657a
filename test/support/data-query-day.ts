/**
 * A day of Data Query traffic on one tenant's LIVE source, in virtual time, with the real
 * janitor sweeping it through the Zuora emulator on a schedule. Used by the pressure test (the
 * rule off and on, side by side) and by the benchmark (what a faster schedule buys).
 *
 * The model, minute by minute (every parameter is in {@link DAY}):
 * - **Arrivals:** Poisson, 0.5 a minute from 08:00 to 18:00, 0.2 otherwise (468 a day on
 *   average). A submission that finds 10 jobs queued is refused (Zuora's limit).
 * - **Running:** at most 5 jobs `in_progress`; when one frees, the job queued longest starts
 *   (`updatedOn` moves). A healthy attempt runs a log-normal time: median 3 minutes, σ 0.8
 *   (mean 4.1 minutes; 1 in 500 runs past 30 minutes).
 * - **Stuck:** 3% of jobs hang on every attempt. Zuora ends an attempt after an hour; with
 *   `remainingRetries` above 0 the job goes back to the queue, one retry fewer, `updatedOn`
 *   moved; at 0 it fails. So a stuck job holds a running slot for about four hours, and
 *   never looks older than an hour to a 2-hour threshold.
 * - **The janitor:** every `cadenceMinutes`, each run late by a whole number of minutes drawn
 *   uniformly within the schedule's flexible window (a third of the period, at least 1 minute:
 *   0 to 4 minutes for 15-minute runs, on time for 5- and 1-minute runs), `staleAfter` 2h,
 *   live; with the rule on, `pressure` headroom 2, `staleAfter` 30m, `retriedStaleAfter` 10m.
 *
 * Full minutes are the minutes at whose end 10 jobs were queued. The price of a cancel is a
 * job that would have finished on its own before its normal threshold: every healthy job the
 * janitor cancels (one waiting in the queue would have run; one running would have finished).
 */
import { compileTenant } from '../../lib/config.ts';
import { resolveTenant } from '../../lib/contract/settings.ts';
import { createJanitor } from '../../lib/janitor/index.ts';
import { silentLog } from '../../lib/log.ts';
import { TokenCache } from '../../lib/zuora/auth.ts';
import { StaticCredentials } from '../../lib/zuora/credentials.ts';
import { defaultClient, type EmulatedJob, ZuoraEmulator } from '../emulator/zuora.ts';
import { prng } from './chaos.ts';

const MINUTE = 60_000;

/** The day's fixed parameters (see the module comment). */
export const DAY = {
  minutes: 24 * 60,
  start: Date.parse('2026-11-02T00:00:00Z'),
  /** Submissions a minute: business hours (08:00-18:00 UTC) and otherwise. */
  arrivalsPerMinute: { business: 0.5, otherwise: 0.2 },
  /** A healthy attempt's run time: log-normal. */
  runTime: { medianMinutes: 3, sigma: 0.8 },
  stuckShare: 0.03,
  /** Zuora's attempt timeout and retries. */
  attemptTimeoutMinutes: 60,
  retries: 3,
  limits: { running: 5, queued: 10 },
  staleAfter: '2h',
  pressure: { headroom: 2, staleAfter: '30m', retriedStaleAfter: '10m' },
} as const;

/** What a simulated day came to. */
export interface DayResult {
  seed: number;
  pressure: boolean;
  cadenceMinutes: number;
  submitted: number;
  /** Submissions refused because the queue was full. */
  refused: number;
  /** Minutes at whose end the queue was full. */
  fullMinutes: number;
  stuckJobs: number;
  runs: number;
  /** Requests the janitor sent to Zuora. */
  requests: number;
  cancelled: number;
  /** Of those, chosen by the pressure rule. */
  cancelledUnderPressure: number;
  /** Cancelled jobs that were healthy: they would have finished on their own. */
  healthyCancelled: number;
  /** Cancelled jobs that were stuck. */
  stuckCancelled: number;
}

interface Tracked {
  job: EmulatedJob;
  stuck: boolean;
  runMinutes: number;
  /** When it last started running, or joined the queue (FIFO order). */
  since: number;
}

/** Simulates one day; deterministic for a seed. */
export async function simulateDay(options: {
  seed: number;
  pressure: boolean;
  cadenceMinutes: number;
}): Promise<DayResult> {
  // Separate streams, so that the traffic is the same whatever the janitor does.
  const traffic = prng(options.seed);
  const schedule = prng(options.seed + 1_000_000);
  let now: number = DAY.start;
  const zuora = await ZuoraEmulator.start({ now: () => now });
  const config = compileTenant(
    resolveTenant({
      name: 'sim',
      dryRun: false,
      staleAfter: DAY.staleAfter,
      maxCancelsPerRun: 25,
      ...(options.pressure ? { pressure: DAY.pressure } : {}),
    }),
  );
  const janitor = createJanitor({
    config,
    credentials: new StaticCredentials({
      clientId: defaultClient.clientId,
      clientSecret: defaultClient.clientSecret,
      baseUrl: zuora.url,
    }),
    tokens: new TokenCache({ now: () => now }),
    log: silentLog,
    now: () => now,
  });
  const result: DayResult = {
    seed: options.seed,
    pressure: options.pressure,
    cadenceMinutes: options.cadenceMinutes,
    submitted: 0,
    refused: 0,
    fullMinutes: 0,
    stuckJobs: 0,
    runs: 0,
    requests: 0,
    cancelled: 0,
    cancelledUnderPressure: 0,
    healthyCancelled: 0,
    stuckCancelled: 0,
  };
  const live = new Map<string, Tracked>();
  const iso = () => new Date(now).toISOString();
  const inStatus = (status: string) =>
    [...live.values()].filter((tracked) => tracked.job.queryStatus === status);
  // The deployment's flexible window: a third of the period, at least a minute.
  const windowMinutes = Math.max(1, Math.min(15, Math.floor(options.cadenceMinutes / 3)));
  const late = () => Math.floor(schedule.next() * windowMinutes);
  let period = 0;
  let nextRun = late();

  try {
    for (let minute = 0; minute < DAY.minutes; minute++) {
      now = DAY.start + minute * MINUTE;
      // Attempts end: healthy ones complete, stuck ones time out and are retried or fail.
      for (const tracked of inStatus('in_progress')) {
        const ran = (now - tracked.since) / MINUTE;
        if (!tracked.stuck && ran >= tracked.runMinutes) {
          finish(tracked, 'completed');
        } else if (tracked.stuck && ran >= DAY.attemptTimeoutMinutes) {
          if (tracked.job.remainingRetries > 0) {
            tracked.job.remainingRetries--;
            tracked.job.queryStatus = 'accepted';
            tracked.job.updatedOn = iso();
            tracked.since = now;
          } else {
            finish(tracked, 'failed');
          }
        }
      }
      // New submissions, refused while the queue is full.
      const hour = (minute / 60) % 24;
      const rate =
        hour >= 8 && hour < 18 ? DAY.arrivalsPerMinute.business : DAY.arrivalsPerMinute.otherwise;
      for (let i = poisson(rate, traffic.next); i > 0; i--) {
        result.submitted++;
        const stuck = traffic.next() < DAY.stuckShare;
        const run = runMinutes(traffic.next);
        const createdBy = traffic.pick(ANALYSTS);
        if (inStatus('accepted').length >= DAY.limits.queued) {
          result.refused++;
          continue;
        }
        if (stuck) result.stuckJobs++;
        const job = zuora.addJob({
          queryStatus: 'accepted',
          updatedOn: iso(),
          remainingRetries: DAY.retries,
          createdBy,
        });
        live.set(job.id, { job, stuck, runMinutes: run, since: now });
      }
      dispatch();
      // The janitor, on its schedule, a little late.
      if (minute === nextRun) {
        await runJanitor();
        dispatch();
        period += options.cadenceMinutes;
        nextRun = period + late();
      }
      if (inStatus('accepted').length >= DAY.limits.queued) result.fullMinutes++;
    }
  } finally {
    await zuora.close();
  }
  return result;

  function finish(tracked: Tracked, status: 'completed' | 'failed') {
    tracked.job.queryStatus = status;
    tracked.job.updatedOn = iso();
    live.delete(tracked.job.id);
  }

  /** Starts queued jobs, longest waiting first, while running slots are free. */
  function dispatch() {
    const queue = inStatus('accepted').sort((a, b) => a.since - b.since);
    let running = inStatus('in_progress').length;
    for (const tracked of queue) {
      if (running >= DAY.limits.running) break;
      tracked.job.queryStatus = 'in_progress';
      tracked.job.updatedOn = iso();
      tracked.since = now;
      running++;
    }
  }

  async function runJanitor() {
    result.runs++;
    const before = zuora.requests.length;
    const report = await janitor.sweep({ trigger: 'schedule', deadline: now + 5 * MINUTE });
    result.requests += zuora.requests.length - before;
    for (const entry of report.jobs) {
      if (entry.outcome !== 'cancelled') continue;
      const tracked = live.get(entry.id);
      if (!tracked) continue;
      result.cancelled++;
      if (entry.reason?.startsWith('pressure')) result.cancelledUnderPressure++;
      if (tracked.stuck) result.stuckCancelled++;
      else result.healthyCancelled++;
      live.delete(entry.id);
    }
    // Drop what the emulator no longer needs to list.
    for (const job of zuora.jobs()) {
      if (!live.has(job.id)) zuora.deleteJob(job.id);
    }
    zuora.requests.length = 0;
  }
}

const ANALYSTS = [
  defaultClient.userId,
  'a1b2c3d4-0000-4000-8000-00000000a002',
  'a1b2c3d4-0000-4000-8000-00000000a003',
];

/** A Poisson draw (Knuth): fine for the small rates here. */
function poisson(rate: number, next: () => number): number {
  const limit = Math.exp(-rate);
  let count = 0;
  for (let product = next(); product > limit; product *= next()) count++;
  return count;
}

/** A healthy attempt's run time in minutes: log-normal (Box-Muller). */
function runMinutes(next: () => number): number {
  const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return DAY.runTime.medianMinutes * Math.exp(DAY.runTime.sigma * normal);
}

/** Sums days into one line per setting. */
export function totals(days: readonly DayResult[]) {
  const sum = (key: keyof DayResult) => days.reduce((total, day) => total + Number(day[key]), 0);
  return {
    days: days.length,
    submitted: sum('submitted'),
    refused: sum('refused'),
    fullMinutes: sum('fullMinutes'),
    stuckJobs: sum('stuckJobs'),
    runs: sum('runs'),
    requests: sum('requests'),
    cancelled: sum('cancelled'),
    cancelledUnderPressure: sum('cancelledUnderPressure'),
    healthyCancelled: sum('healthyCancelled'),
    stuckCancelled: sum('stuckCancelled'),
  };
}
