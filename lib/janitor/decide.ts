/**
 * The one place that decides whether a job is cancelled, for sweeps and for cancel requests
 * alike: the deadline check, dry-run, the re-read just before the cancel, the re-check of the
 * safety rule on what was read, the cancel itself, and what its outcome was when the answer was
 * lost. Every path records exactly one outcome.
 */
import {
  DeadlineExceededError,
  ZuoraHttpError,
  ZuoraNetworkError,
  ZuoraResponseError,
} from '../zuora/errors.ts';
import { recheck, staleReason } from './policy.ts';
import type { PressureChoice } from './pressure.ts';
import type { Outcome } from './report.ts';
import { describeError, type EntityJob, type Run } from './run.ts';

/** A job the run may cancel: one a sweep listed as stale, or an id a request named. */
export type Candidate =
  | { readonly listed: EntityJob; readonly id?: undefined; readonly pressure?: PressureChoice }
  | { readonly id: string; readonly listed?: undefined; readonly pressure?: undefined };

/**
 * Cancels the candidate only if, re-read just now, it is still `accepted` or `in_progress`,
 * still stale (listed candidates; named ones are cancelled whatever their age), not protected,
 * and the run is live. Returns the recorded outcome.
 */
export async function cancelIfEligible(run: Run, candidate: Candidate): Promise<Outcome> {
  const { listed } = candidate;
  const target = listed ?? candidate.id;
  // Checked first even in a dry run: one interrupted or out of time says so, and stops.
  const stop = run.stopReason();
  if (stop) return run.outcome(target, 'deferred', { reason: stop, entityId: listed?.entityId });
  if (listed && run.dryRun) {
    // Nothing will be cancelled, so the list is recent enough to say what would be.
    return run.outcome(listed, 'would-cancel', {
      entityId: listed.entityId,
      reason: candidate.pressure?.reason ?? staleReason(listed, run.now(), run.rules),
    });
  }

  let current: EntityJob | undefined;
  try {
    current = listed
      ? { ...(await run.zuora.getJob(listed.id, listed.entityId)), entityId: listed.entityId }
      : await findInEntities(run, candidate.id as string);
  } catch (error) {
    return run.readFailed(target, error, listed?.entityId);
  }
  if (!current)
    return run.outcome(target, 'not-found', { httpStatus: 404, reason: 'Zuora answered 404' });

  const { entityId } = current;
  const checked = recheck(current, {
    now: run.now(),
    rules: run.rules,
    requireStale: !!listed,
    pressure: candidate.pressure,
  });
  const reason =
    checked.verdict === 'eligible' && !listed && run.requestReason
      ? `requested: ${run.requestReason}`
      : checked.reason;
  switch (checked.verdict) {
    case 'already-finished':
      return run.outcome(current, 'already-finished', { entityId, reason });
    case 'protected':
      return run.outcome(current, 'protected', { entityId, reason });
    case 'no-longer-stale':
    case 'not-yet-accepted':
      return run.outcome(current, 'deferred', { entityId, reason });
    case 'eligible':
      break;
  }
  if (run.dryRun) return run.outcome(current, 'would-cancel', { entityId, reason });
  try {
    await run.zuora.cancelJob(current.id, entityId);
    return run.outcome(current, 'cancelled', { entityId, reason });
  } catch (error) {
    if (!answerWasLost(error)) return run.outcomeOfError(current, error, entityId);
    // The cancel may have worked: only a fresh read can say which outcome to report.
    const confirmed = await readStatus(run, current);
    if (confirmed === 'cancelled') {
      return run.outcome(current, 'cancelled', {
        entityId,
        reason: `${reason} (confirmed by a re-read: the answer to the cancel was ${error instanceof ZuoraResponseError ? 'unclear' : 'lost'})`,
      });
    }
    if (confirmed === undefined) {
      return run.outcome(current, 'failed', {
        entityId,
        error: `could not confirm whether the cancel took effect: ${describeError(error)}`,
      });
    }
    const saidFinished = error instanceof ZuoraHttpError && error.kind === 'already-finished';
    if ((confirmed === 'completed' || confirmed === 'failed') && !saidFinished) {
      // It finished on its own as the cancel arrived: a race, an outcome rather than a failure
      // (the error's own outcome otherwise: a 1003 already says so, in Zuora's words).
      return run.outcome(current, 'already-finished', {
        entityId,
        reason: `${confirmed} when read after the cancel`,
      });
    }
    return run.outcomeOfError(current, error, entityId);
  }
}

/**
 * True when the answer to a cancel was lost, so that it may have taken effect: a network fault,
 * an unreadable body, running out of time after one, or a retry told "already finished"
 * because the first attempt worked.
 */
function answerWasLost(error: unknown): boolean {
  return (
    error instanceof ZuoraNetworkError ||
    error instanceof ZuoraResponseError ||
    (error instanceof ZuoraHttpError && error.kind === 'already-finished' && error.attempts > 1) ||
    (error instanceof DeadlineExceededError && error.cause instanceof ZuoraNetworkError)
  );
}

/** The job's status read now, or undefined when it cannot be read (or there is no time). */
async function readStatus(run: Run, job: EntityJob): Promise<string | undefined> {
  if (run.stopReason()) return undefined;
  try {
    return (await run.zuora.getJob(job.id, job.entityId)).queryStatus;
  } catch {
    return undefined;
  }
}

/** Reads a job in each of the run's entities in turn; undefined when none has it. */
async function findInEntities(run: Run, id: string): Promise<EntityJob | undefined> {
  for (const entityId of run.entities) {
    try {
      return { ...(await run.zuora.getJob(id, entityId)), entityId };
    } catch (error) {
      if (!(error instanceof ZuoraHttpError && error.kind === 'not-found')) throw error;
    }
  }
  return undefined;
}
