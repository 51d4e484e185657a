/**
 * What a job may show of itself. Every field Zuora sends about a job (`status`, `updatedOn`,
 * `createdBy`) is text from outside: a careless integration can put a token, a secret or a
 * query in it, and Zuora passes it on. Before such a field, or a reason that quotes one, reaches
 * a report, a log record, the CLI or an event, it is bounded and scrubbed by the run's redactor
 * (the client secret and tokens in every encoding, text quoting any query the run has read), and
 * it is withheld when it equals or contains the job's own query, which the redactor may not know
 * (too short for its quote check, or not recognisably SQL).
 */
import { oneLine } from '../contract/text.ts';
import { JOB_ID_PATTERN, type QueryJob } from '../zuora/model.ts';
import { Redactor, WITHHELD } from '../zuora/redact.ts';

/** Makes `text`, sent with `job` or quoting what was, safe to print in at most `max` characters. */
export type JobText = (job: Pick<QueryJob, 'query'>, text: string, max: number) => string;

/**
 * A query shorter than this is withheld only where a field equals it: a field merely containing
 * a query of a few characters (`1`) would be withheld for no reason.
 */
const MIN_CONTAINED_QUERY = 6;

/** One line, one case: how a field and a query are compared. */
const flat = (text: string) => oneLine(text).toLowerCase();

/** True when `text` is, or contains, the job's own query. */
function showsQuery(job: Pick<QueryJob, 'query'>, text: string): boolean {
  if (typeof job.query !== 'string') return false;
  const query = flat(job.query);
  if (query === '') return false;
  const field = flat(text);
  return field === query || (query.length >= MIN_CONTAINED_QUERY && field.includes(query));
}

/**
 * The run's job scrubber, over its redactor (which the Zuora client teaches the secret, the
 * tokens and every query it reads). Without a redactor, a fresh one: it still withholds
 * query-looking text and the job's own query.
 */
export function jobText(redactor: Pick<Redactor, 'scrub'> = new Redactor()): JobText {
  return (job, text, max) => {
    if (showsQuery(job, text)) return WITHHELD;
    // An id (a user's, as `createdBy`) carries no query text even when a query names that user,
    // which would otherwise withhold the owner of every job whose query filters by it. It can
    // still be a token (in another case), so the secret checks stay.
    return redactor.scrub(text, max, { queries: !JOB_ID_PATTERN.test(text) });
  };
}
