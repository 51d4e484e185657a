/** Zuora Data Query types and the schemas that validate Zuora's responses. */
import * as z from 'zod/mini';
import { lazySchema } from '../contract/validation.ts';

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

/** The statuses in which Zuora accepts a cancel. */
export const CANCELLABLE_STATUSES = ['accepted', 'in_progress'] as const;

/** A status in which Zuora accepts a cancel. */
export type CancellableStatus = (typeof CANCELLABLE_STATUSES)[number];

/** Matches a job id: a canonical UUID (Zuora's spec says 64 characters; it is 36). */
export const JOB_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const buildQueryJobSchema = () =>
  z.looseObject({
    id: z.string().check(z.regex(JOB_ID_PATTERN, 'must be a UUID')),
    queryStatus: z.enum(QUERY_STATUSES),
    updatedOn: z
      .string()
      .check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 date')),
    createdBy: z.optional(z.string()),
    query: z.optional(z.string()),
    sourceData: z.optional(z.string()),
    remainingRetries: z.optional(z.number()),
  });

/** A Data Query job as the janitor uses it; other fields Zuora sends are ignored. */
export type QueryJob = z.infer<ReturnType<typeof buildQueryJobSchema>>;

/** `GET /query/jobs` → `{data: [...]}`. */
export const jobListSchema = lazySchema(() => z.object({ data: z.array(buildQueryJobSchema()) }));

/** `GET|DELETE /query/jobs/{id}` → `{data: {...}}`. */
export const jobEnvelopeSchema = lazySchema(() => z.object({ data: buildQueryJobSchema() }));

/** `POST /oauth/token` → `{access_token, expires_in, ...}`. */
export const tokenResponseSchema = lazySchema(() =>
  z.looseObject({
    access_token: z.string().check(z.minLength(1)),
    token_type: z.optional(z.string()),
    expires_in: z.number().check(z.positive()),
  }),
);
