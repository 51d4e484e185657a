/**
 * Cancel by id (the `Cancel Query Jobs` event and `query-janitor cancel`): each named job is read
 * first (for its status, owner and query hash), then cancelled if it is still `accepted` or
 * `in_progress` and not protected, whatever its age.
 */
import { cancelIfEligible } from './decide.ts';
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
  await run.forEachLimited(jobIds, (id) => cancelIfEligible(run, { id }));
  const report = run.finish();
  // Not one job could be read because Zuora or the secret was out of reach: fail the run.
  const [first] = run.unreachable;
  if (jobIds.length > 0 && run.unreachable.length === jobIds.length) throw first;
  return report;
}
