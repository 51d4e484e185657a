/**
 * Zuora Data Query types and the schemas that validate Zuora's responses. The published spec
 * makes every job field optional, and real tenants send nulls: only `id` and `queryStatus` are
 * required of a job (the status as any text: one Zuora does not document is kept, never judged);
 * everything the janitor judges by (`updatedOn`, `createdBy`, `query`) may be missing, and the
 * policy treats a job it cannot judge as protected. Lists are validated job by job, so one odd
 * job never hides the others.
 */
import * as z from 'zod/mini';
import { describeIssues, lazySchema } from '../contract/validation.ts';

/** Every status Zuora reports for a Data Query job. */
export const QUERY_STATUSES = [
  'submitted',
  'accepted',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
] as const;

/** A Data Query job status. */
export type QueryStatus = (typeof QUERY_STATUSES)[number];

/**
 * A job's status as read: one of {@link QUERY_STATUSES}, or text Zuora does not document
 * (`Accepted`, `queued`). The janitor keeps such a job, shows its status and never judges it:
 * dropping it would hide it from the report, and guessing what it means could cancel it.
 */
export type JobStatus = QueryStatus | (string & {});

/** Longest status text kept: Zuora's own are at most 11 characters. */
export const MAX_STATUS_TEXT = 40;

/** True for a status Zuora documents (exactly: `Accepted` is not `accepted`). */
export function isQueryStatus(status: string): status is QueryStatus {
  return (QUERY_STATUSES as readonly string[]).includes(status);
}

/**
 * A status as it may be printed: a documented one as is; any other text scrubbed (by the run's
 * redactor) and bounded. Scrubbing drops control and invisible characters, so `accepted\u200b`
 * would print as `accepted`: such text is marked, so that it is never read, or judged, as the
 * status it resembles.
 */
export function printableStatus(
  status: JobStatus,
  scrub: (text: string, max: number) => string,
): JobStatus {
  if (isQueryStatus(status)) return status;
  const text = scrub(status, MAX_STATUS_TEXT);
  if (text === '') return '(blank)';
  return isQueryStatus(text) ? `${text} (with characters removed)` : text;
}

/** The statuses in which Zuora accepts a cancel. */
export const CANCELLABLE_STATUSES = ['accepted', 'in_progress'] as const;

/** A status in which Zuora accepts a cancel. */
export type CancellableStatus = (typeof CANCELLABLE_STATUSES)[number];

/** Matches a job id: a canonical UUID (Zuora's spec says 64 characters; it is 36). */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A text field the janitor judges by, read leniently so that one odd value never hides the job:
 * a value of another type becomes `whenNotText` (a description such as `(a number)` that no
 * rule accepts, or null), and the policy then holds the job as one it cannot judge.
 */
const lenientText = (whenNotText: (value: unknown) => string | null) =>
  z.optional(
    z.pipe(
      z.unknown(),
      z.transform((value): string | null =>
        typeof value === 'string'
          ? value
          : value === null || value === undefined
            ? null
            : whenNotText(value),
      ),
    ),
  );
const described = (value: unknown): string =>
  Array.isArray(value)
    ? '(a list)'
    : typeof value === 'object'
      ? '(an object)'
      : `(a ${typeof value})`;

const buildQueryJobSchema = () =>
  z.looseObject({
    id: z.string().check(z.regex(JOB_ID_PATTERN, 'must be a UUID')),
    /** A {@link JobStatus}: any text, since one Zuora does not document is kept, never judged. */
    queryStatus: z.string(),
    /** Read strictly by the policy; a missing or unreadable date makes the job unjudgeable. */
    updatedOn: lenientText(described),
    /** Not a plain id: owner rules cannot be checked, and the job is held. */
    createdBy: lenientText(described),
    /** Not text: as if missing, so a protect pattern cannot be checked, and the job is held. */
    query: lenientText(() => null),
    /** Not a documented source: capacity is unknown. */
    sourceData: lenientText(described),
    /** Anything but a number counts as not retried: the longer threshold applies. */
    remainingRetries: z.optional(
      z.pipe(
        z.unknown(),
        z.transform((value): number | null => (typeof value === 'number' ? value : null)),
      ),
    ),
  });

/** A Data Query job as the janitor uses it; other fields Zuora sends are ignored. */
export type QueryJob = z.infer<ReturnType<typeof buildQueryJobSchema>>;

const queryJobSchema = lazySchema(buildQueryJobSchema);

/** One page of a list: the jobs that could be read, and how many could not. */
export interface ParsedPage {
  jobs: QueryJob[];
  /** Entries that are not a job the janitor can identify (no UUID id, or no status text). */
  unreadable: number;
  /** The first problem among the unreadable entries, one line. */
  problem?: string | undefined;
  /** How many entries the page held, readable or not, read or not (past the limit). */
  size: number;
}

/** `GET /query/jobs` → `{data: [...]}`, read entry by entry. */
const listEnvelopeSchema = lazySchema(() => z.object({ data: z.array(z.unknown()) }));

/**
 * Reads a list page; throws only when the envelope itself is wrong. With `limit`, reads only the
 * first `limit` entries (what was asked for, newest first) and leaves the rest unread: a server
 * that ignores `pageSize` must not make a run, its report or its events as large as it likes.
 */
export function parseJobPage(body: unknown, options: { limit?: number } = {}): ParsedPage {
  const envelope = parseOrThrow(listEnvelopeSchema(), body);
  const entries = envelope.data.slice(0, options.limit);
  const jobs: QueryJob[] = [];
  let problem: string | undefined;
  for (const entry of entries) {
    const result = z.safeParse(queryJobSchema(), entry);
    if (result.success) jobs.push(result.data);
    else problem ??= describeIssues(result.error);
  }
  return {
    jobs,
    unreadable: entries.length - jobs.length,
    problem,
    size: envelope.data.length,
  };
}

/**
 * `GET /query/jobs/{id}` → `{data: {...}}`. With `id`, the answer must be that job: a job the
 * janitor did not ask about is never judged, let alone cancelled.
 */
export function parseJobEnvelope(body: unknown, id?: string): QueryJob {
  const job = parseOrThrow(lazyEnvelope(), body).data;
  if (id !== undefined && !sameJobId(job.id, id)) {
    throw new ResponseShapeError('data.id is not the id that was asked for');
  }
  return job;
}

/** Job ids are UUIDs: one job, whatever the case of its hex digits. */
export function sameJobId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const lazyEnvelope = lazySchema(() => z.object({ data: queryJobSchema() }));

/**
 * `DELETE /query/jobs/{id}` → `{data: {...}}`. Zuora answers with the job in `cancelled`, but a
 * minimal `{data: {id}}` is as good: an object under `data` confirms the cancel, unless the
 * answer says otherwise (`success: false`, or the job in another status). Such an answer is not
 * read as a cancel: the caller reads the job again to learn what happened.
 */
export function parseCancelResponse(body: unknown, id?: string): void {
  const { data, success } = parseOrThrow(cancelEnvelopeSchema(), body);
  if (id !== undefined && typeof data.id === 'string' && !sameJobId(data.id, id)) {
    throw new ResponseShapeError('data.id is not the id that was cancelled');
  }
  if (success === false) throw new ResponseShapeError('success is false');
  const status = data.queryStatus;
  if (status !== undefined && status !== 'cancelled') {
    throw new ResponseShapeError('data.queryStatus is not "cancelled"');
  }
}

const cancelEnvelopeSchema = lazySchema(() =>
  z.object({ data: z.looseObject({}), success: z.optional(z.unknown()) }),
);

/** `POST /oauth/token` → `{access_token, expires_in, ...}`. */
export const tokenResponseSchema = lazySchema(() =>
  z.looseObject({
    access_token: z.string().check(z.minLength(1)),
    token_type: z.optional(z.nullable(z.string())),
    expires_in: z.number().check(z.positive()),
  }),
);

/** Reads a token response. */
export function parseTokenResponse(body: unknown): z.infer<ReturnType<typeof tokenResponseSchema>> {
  return parseOrThrow(tokenResponseSchema(), body);
}

/** The problem with a response body, in one line (never the values). */
export class ResponseShapeError extends Error {
  override name = 'ResponseShapeError';
}

function parseOrThrow<S extends z.core.$ZodType>(schema: S, body: unknown): z.output<S> {
  const result = z.safeParse(schema, body);
  if (!result.success) throw new ResponseShapeError(describeIssues(result.error));
  return result.data;
}
