/**
 * The one place that decides whether a job is cancelled, for sweeps and for cancel requests
 * alike: the deadline check, dry-run, the re-read just before the cancel, the re-check of the
 * safety rule on what was read, and the cancel itself. Every path records exactly one outcome.
 */
import { ZuoraHttpError } from '../zuora/errors.ts';
import { recheck } from './policy.ts';
import type { Outcome } from './report.ts';
import type { EntityJob, Run } from './run.ts';

/** A job the run may cancel: one a sweep listed as stale, or an id a request named. */
export type Candidate =
  | { readonly listed: EntityJob; readonly id?: undefined }
  | { readonly id: string; readonly listed?: undefined };

/**
 * Cancels the candidate only if, re-read just now, it is still `accepted` or `in_progress`,
 * still stale (listed candidates; named ones are cancelled whatever their age), not protected,
 * and the run is live. Returns the recorded outcome.
 */
export async function cancelIfEligible(run: Run, candidate: Candidate): Promise<Outcome> {
  const { listed } = candidate;
  if (listed && run.dryRun) {
    // Nothing will be cancelled, so the list is recent enough to say what would be.
    return run.outcome(listed, 'would-cancel', { entityId: listed.entityId });
  }
  const target = listed ?? candidate.id;
  if (run.outOfTime()) return run.outcome(target, 'deferred', { error: 'deadline reached' });

  let current: EntityJob | undefined;
  try {
    current = listed
      ? { ...(await run.client(listed.entityId).getJob(listed.id)), entityId: listed.entityId }
      : await findInEntities(run, candidate.id as string);
  } catch (error) {
    return run.outcomeOfError(target, error, listed?.entityId);
  }
  if (!current) return run.outcome(target, 'not-found', { httpStatus: 404 });

  const { entityId } = current;
  switch (recheck(current, { now: run.now(), rules: run.rules, requireStale: !!listed })) {
    case 'already-finished':
      return run.outcome(current, 'already-finished', { entityId });
    case 'protected':
      return run.outcome(current, 'protected', { entityId });
    case 'no-longer-stale':
      return run.outcome(current, 'deferred', { entityId, error: 'updated since it was listed' });
    case 'eligible':
      break;
  }
  if (run.dryRun) return run.outcome(current, 'would-cancel', { entityId });
  try {
    await run.client(entityId).cancelJob(current.id);
    return run.outcome(current, 'cancelled', { entityId });
  } catch (error) {
    return run.outcomeOfError(current, error, entityId);
  }
}

/** Reads a job in each of the run's entities in turn; undefined when none has it. */
async function findInEntities(run: Run, id: string): Promise<EntityJob | undefined> {
  for (const entityId of run.entities) {
    try {
      return { ...(await run.client(entityId).getJob(id)), entityId };
    } catch (error) {
      if (!(error instanceof ZuoraHttpError && error.kind === 'not-found')) throw error;
    }
  }
  return undefined;
}
