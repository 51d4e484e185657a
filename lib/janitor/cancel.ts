/**
 * Cancel by id (the `Cancel Query Jobs` event and `query-janitor cancel`): read each job first
 * (for its status, owner and query hash), then cancel it if it is still `accepted` or
 * `in_progress` and not protected, whatever its age.
 */
import { CredentialsError } from '../credentials.ts';
import { ZuoraHttpError, ZuoraNetworkError } from '../zuora/errors.ts';
import type { QueryJob } from '../zuora/model.ts';
import type { Report } from './report.ts';
import { type JanitorDeps, Run, type RunOptions } from './run.ts';

/** Cancels the named jobs (ids already validated as unique UUIDs) and returns the report. */
export async function cancelJobs(
  deps: JanitorDeps,
  jobIds: readonly string[],
  options: RunOptions,
): Promise<Report> {
  const run = new Run(deps, options);
  run.report.scanned(jobIds.map((id) => ({ id })));
  const unreachable: unknown[] = [];
  await run.forEachLimited(jobIds, async (id) => {
    if (run.outOfTime()) {
      run.outcome(id, 'deferred', { error: 'deadline reached' });
      return;
    }
    let found: { job: QueryJob; entityId: string | undefined } | undefined;
    try {
      found = await find(run, id);
    } catch (error) {
      if (isUnreachable(error)) unreachable.push(error);
      run.outcomeOfError(id, error);
      return;
    }
    if (!found) {
      run.outcome(id, 'not-found', { httpStatus: 404 });
      return;
    }
    await run.cancelIfEligible(found.job, found.entityId, false);
  });
  const report = run.finish();
  // Not one job could be read because Zuora or the secret was out of reach: fail the run.
  if (jobIds.length > 0 && unreachable.length === jobIds.length) throw unreachable[0];
  return report;
}

/** Errors that mean the run could not talk to Zuora at all, rather than a per-job problem. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof ZuoraHttpError) return error.kind === 'unauthorized';
  return error instanceof ZuoraNetworkError || error instanceof CredentialsError;
}

/** Reads a job in each configured entity in turn; undefined when no entity has it. */
async function find(
  run: Run,
  id: string,
): Promise<{ job: QueryJob; entityId: string | undefined } | undefined> {
  for (const entityId of run.entities) {
    try {
      return { job: await run.client(entityId).getJob(id), entityId };
    } catch (error) {
      if (!(error instanceof ZuoraHttpError && error.kind === 'not-found')) throw error;
    }
  }
  return undefined;
}
